"""Readers of log formats (the log-reader extension point): the protocol, and the formats by name."""
from __future__ import annotations

from tenantguard.monitoring.readers.formats import AUTO as AUTO
from tenantguard.monitoring.readers.formats import log_readers as log_readers
from tenantguard.monitoring.readers.formats import reader_for as reader_for
from tenantguard.monitoring.readers.reader import LogReader as LogReader
from tenantguard.monitoring.readers.reader import LogRow as LogRow
from tenantguard.monitoring.readers.reader import Rejection as Rejection
from tenantguard.monitoring.readers.reader import Skipped as Skipped

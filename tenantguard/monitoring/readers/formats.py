"""The log formats `logs ingest --format` knows: the built-in readers, then plug-ins, by name.

Plug-ins come from the entry-point group `tenantguard.log_readers` and from TENANTGUARD_LOG_READERS
(`module:function` factories, tenantguard.plugins); docs/extending/log-readers.md shows one. `auto`
is not a format but a choice: the one reader whose `recognizes` accepts the start of the file.
"""
from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import BinaryIO

from tenantguard.config import Settings
from tenantguard.errors import ConfigError
from tenantguard.monitoring.readers.langfuse import LangfuseReader
from tenantguard.monitoring.readers.litellm import LiteLLMReader
from tenantguard.monitoring.readers.native import NativeReader
from tenantguard.monitoring.readers.otlp import OtlpReader
from tenantguard.monitoring.readers.paths import Resolver
from tenantguard.monitoring.readers.reader import HEAD_BYTES, LogReader, LogRow, Rejection, Skipped
from tenantguard.plugins import discover

AUTO = "auto"
_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
_HOW = "docs/extending/log-readers.md"


def log_readers(settings: Settings) -> dict[str, LogReader]:
    """Every reader by name: the built-ins (native, otlp, openinference, litellm, langfuse, the last four
    resolving tenant and key by the settings' paths), then entry points, then TENANTGUARD_LOG_READERS."""
    found: dict[str, LogReader] = {}
    resolver = Resolver.of(settings.tenant_paths, settings.key_paths)
    builtin = (NativeReader(), OtlpReader(resolver), OtlpReader(resolver, name="openinference"),
               LiteLLMReader(resolver), LangfuseReader(resolver))
    for reader in (*builtin, *discover("log_readers", settings.log_readers)):
        where = f"log reader {type(reader).__module__}.{type(reader).__qualname__}"
        if not isinstance(reader, LogReader):
            raise ConfigError(f"{where}: needs a name, a description, recognizes(head) and read(stream) "
                              f"(see {_HOW})")
        if not isinstance(reader.name, str) or not _NAME.match(reader.name) or reader.name == AUTO:
            raise ConfigError(f"{where}: name {reader.name!r} must match {_NAME.pattern} and not be {AUTO!r}")
        if reader.name in found:
            raise ConfigError(f"{where}: the format name {reader.name!r} is taken; give the reader another name")
        found[reader.name] = reader
    return found


def reader_for(name: str, settings: Settings) -> LogReader:
    """The reader `--format NAME` names (`auto`: chosen by content), or a ConfigError listing the known ones."""
    readers = log_readers(settings)
    if name == AUTO:
        return AutoReader(tuple(readers.values()))
    if name not in readers:
        raise ConfigError(f"--format {name!r}: unknown log format; known: {', '.join([AUTO, *readers])} "
                          f"(add one with TENANTGUARD_LOG_READERS=module:function, see {_HOW})")
    return readers[name]


class AutoReader:
    """`--format auto`: reads with the one reader that recognizes the first HEAD_BYTES of the source."""

    name = AUTO

    def __init__(self, readers: Sequence[LogReader]) -> None:
        self.readers = tuple(readers)
        self.description = f"a log file in one of the formats {', '.join(r.name for r in self.readers)}"

    def recognizes(self, head: bytes) -> bool:
        return any(r.recognizes(head) for r in self.readers)

    def read(self, stream: BinaryIO) -> Iterator[LogRow | Rejection | Skipped]:
        start = stream.tell()
        head = stream.read(HEAD_BYTES)
        if not head.strip():
            return  # an empty file is empty in every format
        stream.seek(start)  # files and request bodies (BytesIO) are seekable
        yield from self.choose(head).read(stream)

    def choose(self, head: bytes) -> LogReader:
        """The one reader that recognizes `head`; none or several is a ConfigError asking for --format."""
        matches = [r for r in self.readers if r.recognizes(head)]
        known = ", ".join(r.name for r in self.readers)
        if not matches:
            raise ConfigError(f"--format auto: none of the formats {known} recognizes the file's start; "
                              f"pass --format NAME")
        if len(matches) > 1:
            raise ConfigError(f"--format auto: the formats {', '.join(r.name for r in matches)} all recognize "
                              f"the file's start; pass --format NAME")
        return matches[0]

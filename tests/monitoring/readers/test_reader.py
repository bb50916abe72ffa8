"""The reader protocol and its items: what a plug-in must provide, checked at registration."""
import dataclasses

import pytest

from tenantguard.monitoring.readers import LogReader, LogRow, Rejection
from tenantguard.monitoring.readers.formats import AutoReader
from tenantguard.monitoring.readers.native import NativeReader


class Minimal:
    name = "minimal"
    description = "nothing"

    def recognizes(self, head):
        return False

    def read(self, stream):
        return iter(())


class NoRecognizes:
    name = "half"
    description = "half a reader"

    def read(self, stream):
        return iter(())


def test_any_object_with_name_description_recognizes_and_read_is_a_reader():
    for reader in (Minimal(), NativeReader(), AutoReader([NativeReader()])):
        assert isinstance(reader, LogReader)
    assert not isinstance(NoRecognizes(), LogReader)


def test_rows_and_rejections_are_immutable_values():
    row, rejection = LogRow(1, b"{}", {}), Rejection(2, b"x", "why")
    assert row.note is None and row == LogRow(1, b"{}", {})
    with pytest.raises(dataclasses.FrozenInstanceError):
        rejection.reason = "changed"

"""Log reader factories that break the registry's rules, and one that claims every file (for `auto`)."""
from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from tenantguard.monitoring.readers import LogRow, Rejection


class _Reader:
    description = "anything at all"

    def __init__(self, name: str) -> None:
        self.name = name

    def recognizes(self, head: bytes) -> bool:
        return True

    def read(self, stream: BinaryIO) -> Iterator[LogRow | Rejection]:
        for lineno, raw in enumerate(stream, start=1):
            yield {"line": lineno, "raw": raw}  # not a LogRow: ingest must refuse it


def greedy() -> _Reader:
    return _Reader("greedy")


def taken_name() -> _Reader:
    return _Reader("native")


def named_auto() -> _Reader:
    return _Reader("auto")


def no_read_method() -> object:
    return type("HalfReader", (), {"name": "half", "description": "half a reader",
                                   "recognizes": lambda self, head: False})()

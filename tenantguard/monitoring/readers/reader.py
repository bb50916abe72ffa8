"""The log-reader extension point: a reader turns a source's bytes into inference-log rows or rejections.

A reader knows one format (tenantguard's own JSONL is `native`; a plug-in adds, say, OTLP JSON or a
gateway's payloads). It only maps: `monitoring.ingest` validates every row against the inference-log
contract, quarantines rejections with their line and reason, and appends the rest in order.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO, Protocol, runtime_checkable

HEAD_BYTES = 64 * 1024  # how much of a source `--format auto` shows each reader's `recognizes`


@dataclass(frozen=True, slots=True)
class LogRow:
    """One request read from the source, mapped onto the inference-log row (validated later by ingest)."""

    line: int  # 1-based line (or record number) in the source: messages and quarantine name it
    # The source bytes this row came from, quarantined verbatim if the row fails validation; or a zero-argument
    # callable returning them, for a reader whose raw bytes cost something to build (called only then).
    raw: bytes | Callable[[], bytes]
    row: Any  # a dict with inference-log keys; anything else is rejected by validation, not by the reader
    note: str | None = None  # a repair made on the way in; the summary says "note: N line(s) <note>"


@dataclass(frozen=True, slots=True)
class Rejection:
    """A part of the source that yields no row; quarantined with its line and reason, never dropped."""

    line: int
    raw: bytes
    reason: str  # one line without the `source:line: ` prefix (ingest adds it), e.g. "not valid JSON (...)"


@dataclass(frozen=True, slots=True)
class Skipped:
    """A part of the source that is not a request (an embedding or tool span, a trace's root): no row, no
    error. Ingest counts them by `what` in its summary, so nothing leaves without a word."""

    line: int
    what: str  # a noun phrase for the summary, e.g. "spans that are not a GenAI model call (embeddings)"


@runtime_checkable
class LogReader(Protocol):
    """A log format: its `--format` name, what it reads, how to spot it, and how to read it."""

    name: str  # the `--format` name: lower case, e.g. "native"
    description: str  # what it reads, as a noun phrase: "a JSONL file of inference-log rows"

    def recognizes(self, head: bytes) -> bool:
        """Whether a source that starts with `head` (its first HEAD_BYTES, or all of it) is in this format."""
        ...

    def read(self, stream: BinaryIO) -> Iterator[LogRow | Rejection | Skipped]:
        """Every row, rejection and skipped part of `stream` (binary, read from its start), in source order."""
        ...

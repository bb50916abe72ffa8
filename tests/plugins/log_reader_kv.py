"""A log reader plug-in for the tests (and the worked example of docs/extending/log-readers.md).

Format `kv`: one request a line as space-separated `key=value` pairs, values percent-encoded
(`prompt=hello%20there`); ids, token counts and latency are whole numbers. Registered with
TENANTGUARD_LOG_READERS=log_reader_kv:make_reader.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from typing import BinaryIO
from urllib.parse import unquote

from tenantguard.monitoring.readers import LogRow, Rejection

_PAIR = re.compile(r"^([a-z_]+)=(\S*)$")
_NUMBERS = {"id", "prompt_tokens", "completion_tokens", "latency_ms"}


class KeyValueReader:
    name = "kv"
    description = "a file of key=value lines"

    def recognizes(self, head: bytes) -> bool:
        first = next((line for line in head.splitlines() if line.strip()), b"")
        pairs = first.decode("utf-8", errors="replace").split()
        return bool(pairs) and all(_PAIR.match(pair) for pair in pairs)

    def read(self, stream: BinaryIO) -> Iterator[LogRow | Rejection]:
        for lineno, raw in enumerate(stream, start=1):
            raw = raw.rstrip(b"\r\n")
            if not raw.strip():
                continue
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield Rejection(lineno, raw, f"invalid UTF-8 at byte {exc.start}")
                continue
            row = {}
            for pair in text.split():
                if not (match := _PAIR.match(pair)):
                    yield Rejection(lineno, raw, f"expected key=value pairs, got {pair[:40]!r}")
                    break
                key, value = match.group(1), unquote(match.group(2))
                row[key] = int(value) if key in _NUMBERS and value.isdigit() else value
            else:
                yield LogRow(lineno, raw, row)


def make_reader() -> KeyValueReader:
    return KeyValueReader()

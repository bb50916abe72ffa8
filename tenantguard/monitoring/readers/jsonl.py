"""JSON lines for the readers of other systems' logs: strict UTF-8, one JSON value a line, blank lines skipped.

Unlike tenantguard's own `native` format (which keeps a request's text with U+FFFD), invalid UTF-8 in
another system's export is quarantined as is: replacing bytes would alter evidence someone else wrote.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, BinaryIO

from tenantguard.monitoring.readers.reader import Rejection


def json_lines(stream: BinaryIO) -> Iterator[tuple[int, Any, bytes] | Rejection]:
    """(line number, parsed value, raw bytes) per non-blank line, or a Rejection naming what is wrong."""
    for lineno, raw in enumerate(stream, start=1):
        raw = raw.rstrip(b"\r\n")
        if not raw.strip():
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield utf8_rejection(lineno, raw, exc)
            continue
        try:
            yield lineno, json.loads(text), raw
        except json.JSONDecodeError as exc:
            yield Rejection(lineno, raw, f"not valid JSON ({exc.msg} at column {exc.colno})")
        except (ValueError, RecursionError) as exc:
            yield Rejection(lineno, raw, f"not valid JSON ({type(exc).__name__}: {str(exc)[:80]})")


def utf8_rejection(lineno: int, raw: bytes, exc: UnicodeDecodeError) -> Rejection:
    return Rejection(lineno, raw, f"invalid UTF-8 at byte {exc.start}; the line is quarantined as is "
                                  f"(re-export it as UTF-8)")

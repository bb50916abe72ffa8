"""The `native` log format: tenantguard's own JSONL, one inference-log row a line (docs/contracts.md).

Blank lines are skipped. Invalid UTF-8 is kept as U+FFFD (noted, so the summary says how many lines),
so a request cannot keep itself out of the log with bytes; a line that is not JSON is rejected.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import BinaryIO

from tenantguard.monitoring.inference_log import COLUMNS, REQUIRED
from tenantguard.monitoring.readers.reader import LogRow, Rejection

REPLACED_UTF8 = "held invalid UTF-8; those bytes were kept as U+FFFD"
_FIRST_KEY = re.compile(rb'^\s*\{\s*"([A-Za-z_]+)"\s*:')


class NativeReader:
    """Reads tenantguard's JSONL inference-log rows."""

    name = "native"
    description = "a JSONL file of inference-log rows"

    def recognizes(self, head: bytes) -> bool:
        """The first non-blank line is an object with the required keys and only inference-log keys."""
        first = next((line for line in head.splitlines() if line.strip()), b"")
        try:
            obj = json.loads(first)
        except (ValueError, RecursionError):
            # A first line longer than the head (a whole RAG context) is cut off: judge by its first key.
            match = _FIRST_KEY.match(first)
            return bool(match) and match.group(1).decode() in COLUMNS
        return isinstance(obj, dict) and set(REQUIRED) <= set(obj) <= set(COLUMNS)

    def read(self, stream: BinaryIO) -> Iterator[LogRow | Rejection]:
        for lineno, raw in enumerate(stream, start=1):
            raw = raw.rstrip(b"\r\n")
            if not raw.strip():
                continue
            note = None
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                text, note = raw.decode("utf-8", errors="replace"), REPLACED_UTF8
            try:
                obj = json.loads(text)
            except json.JSONDecodeError as exc:
                yield Rejection(lineno, raw, f"not valid JSON ({exc.msg} at column {exc.colno})")
                continue
            except (ValueError, RecursionError) as exc:  # an integer of 5,000 digits, nesting 100,000 deep
                yield Rejection(lineno, raw, f"not valid JSON ({type(exc).__name__}: {str(exc)[:80]})")
                continue
            yield LogRow(lineno, raw, obj, note)

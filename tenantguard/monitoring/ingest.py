"""`tenantguard logs ingest`: append a log file to the inference log through a reader; bad lines quarantined.

The reader (monitoring.readers) maps the file's format onto rows; this module owns what every format
shares: validation against the contract (`inference_log.validate_row`), batching, append in order, and
the quarantine file that keeps every rejected line with its reason, so nothing is lost.
"""
from __future__ import annotations

import base64
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from tenantguard.errors import ConfigError, InferenceLogInvalid
from tenantguard.monitoring.inference_log import InferenceLog, validate_row
from tenantguard.monitoring.readers.reader import LogReader, LogRow, Rejection

BATCH = 5_000


@dataclass(frozen=True)
class IngestResult:
    appended: int
    first_id: int | None
    last_id: int | None
    bad_lines: int
    first_error: str | None
    quarantine_path: Path | None
    notes: dict[str, int] = field(default_factory=dict)  # a reader's repair note -> rows kept with it


def ingest_file(path: Path, log: InferenceLog, quarantine_dir: Path, *, reader: LogReader) -> IngestResult:
    """Read `path` with `reader`; validate each row; append the good ones in order; quarantine the rest."""
    path = Path(path)
    if not path.is_file():
        raise InferenceLogInvalid(f"{path}: file not found (expected {reader.description})")
    before = log.max_id()
    pending: list[tuple[LogRow, dict]] = []
    bad: list[dict] = []
    notes: Counter[str] = Counter()
    appended = 0
    with path.open("rb") as fh:
        for item in reader.read(fh):
            if isinstance(item, Rejection):
                bad.append(_bad(path, item.line, item.raw, f"{path}:{item.line}: {item.reason}"))
                continue
            if not isinstance(item, LogRow):
                raise ConfigError(f"log reader {reader.name!r} yielded a {type(item).__name__}; "
                                  f"a reader yields LogRow or Rejection (docs/extending/log-readers.md)")
            try:
                pending.append((item, validate_row(item.row, f"{path}:{item.line}", max_text_chars=log.max_text_chars)))
            except InferenceLogInvalid as exc:
                bad.append(_bad(path, item.line, item.raw, str(exc)))
                continue
            if item.note:
                notes[item.note] += 1
            if len(pending) >= BATCH:
                appended += _flush(path, log, pending, bad)
    appended += _flush(path, log, pending, bad)
    qpath = _quarantine(path, quarantine_dir, bad) if bad else None
    after = log.max_id()
    return IngestResult(appended=appended, first_id=before + 1 if appended else None,
                        last_id=after if appended else None, bad_lines=len(bad),
                        first_error=bad[0]["reason"] if bad else None, quarantine_path=qpath, notes=dict(notes))


def _flush(path: Path, log: InferenceLog, pending: list[tuple[LogRow, dict]], bad: list[dict]) -> int:
    if not pending:
        return 0
    try:
        n = log.append([row for _, row in pending])
    except InferenceLogInvalid:
        # A batch-level problem (an out-of-order id): retry row by row so only the offending lines go.
        n = 0
        for item, row in pending:
            try:
                n += log.append([row])
            except InferenceLogInvalid as exc:
                bad.append(_bad(path, item.line, item.raw, f"{path}:{item.line}: {str(exc).removeprefix('row 0 ')}"))
    pending.clear()
    return n


def _bad(path: Path, lineno: int, raw: bytes, reason: str) -> dict:
    entry = {"source": str(path), "line": lineno, "reason": reason}
    try:
        entry["raw"] = raw.decode("utf-8")
    except UnicodeDecodeError:
        entry["raw_base64"] = base64.b64encode(raw).decode("ascii")  # byte-exact: nothing is lost
    return entry


def _quarantine(path: Path, quarantine_dir: Path, bad: list[dict]) -> Path:
    quarantine_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    out = quarantine_dir / f"{path.stem}.{stamp}.jsonl"
    with out.open("w", encoding="utf-8") as fh:
        for entry in sorted(bad, key=lambda e: e["line"]):
            fh.write(json.dumps(entry, ensure_ascii=False) + "\n")
    return out

"""Appending a source to the inference log through a reader; bad lines quarantined, nothing lost.

The reader (monitoring.readers) maps the source's format onto rows; this module owns what every format
and every way in (`logs ingest FILE`, the OTLP receiver) shares: validation against the contract
(`inference_log.validate_row`), the tenant directory (a row for a tenant not in tenants.yaml is
quarantined, not stored), batching, append in order with rows already in the log (same `source_id`)
skipped, and the quarantine file that keeps every rejected line with its reason.
"""
from __future__ import annotations

import base64
import gc
import json
from collections import Counter
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from tenantguard.errors import ConfigError, InferenceLogInvalid
from tenantguard.monitoring.inference_log import InferenceLog, validate_row
from tenantguard.monitoring.readers.reader import LogReader, LogRow, Rejection, Skipped

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
    duplicates: int = 0  # rows whose source_id the log already held: skipped, re-reading adds nothing
    skipped: dict[str, int] = field(default_factory=dict)  # a reader's Skipped.what -> parts that are no request


def ingest_file(path: Path, log: InferenceLog, quarantine_dir: Path, *, reader: LogReader,
                tenants: Collection[str] | None = None) -> IngestResult:
    """Read `path` with `reader` and append it (`ingest_items`); `tenants`: the ids rows may carry (None: any)."""
    path = Path(path)
    if not path.is_file():
        raise InferenceLogInvalid(f"{path}: file not found (expected {reader.description})")
    with path.open("rb") as fh:
        return ingest_items(reader.read(fh), str(path), log, quarantine_dir, reader_name=reader.name,
                            tenants=tenants, stem=path.stem)


def ingest_items(items: Iterable, source: str, log: InferenceLog, quarantine_dir: Path, *, reader_name: str,
                 tenants: Collection[str] | None = None, stem: str | None = None) -> IngestResult:
    """Validate each item a reader yields; append the good rows in order; quarantine the rest under
    `quarantine_dir/<stem>.<UTC time>.jsonl`. Messages name `source:line`."""
    # Reading makes no reference cycles, but millions of short-lived dicts would run the cyclic GC over the
    # pending batch again and again (a quarter of ingest's time on span files): off while we read.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _ingest(items, source, log, quarantine_dir, reader_name=reader_name, tenants=tenants, stem=stem)
    finally:
        if enabled:
            gc.enable()


def _ingest(items: Iterable, source: str, log: InferenceLog, quarantine_dir: Path, *, reader_name: str,
            tenants: Collection[str] | None, stem: str | None) -> IngestResult:
    before = log.max_id()
    known = None if tenants is None else frozenset(tenants)
    pending: list[tuple[LogRow, dict]] = []
    bad: list[dict] = []
    notes: Counter[str] = Counter()
    skipped: Counter[str] = Counter()
    appended = offered = 0
    for item in items:
        if not isinstance(item, LogRow):  # the common case, tested first
            if isinstance(item, Rejection):
                bad.append(_bad(source, item.line, item.raw, f"{source}:{item.line}: {item.reason}"))
                continue
            if isinstance(item, Skipped):
                skipped[item.what] += 1
                continue
            raise ConfigError(f"log reader {reader_name!r} yielded a {type(item).__name__}; a reader yields "
                              f"LogRow, Rejection or Skipped (docs/extending/log-readers.md)")
        where = f"{source}:{item.line}"
        try:
            row = validate_row(item.row, where, max_text_chars=log.max_text_chars)
        except InferenceLogInvalid as exc:
            bad.append(_bad(source, item.line, item.raw, str(exc)))
            continue
        if known is not None and row["tenant_id"] not in known:
            bad.append(_bad(source, item.line, item.raw,
                            f"{where} field 'tenant_id': tenant {row['tenant_id']!r} is not in tenants.yaml (add the "
                            f"tenant, or fix where the tenant id is read: --tenant-path / TENANTGUARD_TENANT_PATHS)"))
            continue
        pending.append((item, row))
        if item.note:
            notes[item.note] += 1
        if len(pending) >= BATCH:
            offered += len(pending)
            appended += _flush(source, log, pending, bad)
    offered += len(pending)
    appended += _flush(source, log, pending, bad)
    duplicates = offered - appended - sum(1 for b in bad if b.get("stage") == "append")
    for b in bad:
        b.pop("stage", None)
    qpath = _quarantine(stem or "source", quarantine_dir, bad) if bad else None
    after = log.max_id()
    return IngestResult(appended=appended, first_id=before + 1 if appended else None,
                        last_id=after if appended else None, bad_lines=len(bad),
                        first_error=min(bad, key=lambda e: e["line"])["reason"] if bad else None,
                        quarantine_path=qpath, notes=dict(notes), duplicates=duplicates, skipped=dict(skipped))


def _flush(source: str, log: InferenceLog, pending: list[tuple[LogRow, dict]], bad: list[dict]) -> int:
    if not pending:
        return 0
    try:
        n = log.append([row for _, row in pending], validated=True)
    except InferenceLogInvalid:
        # A batch-level problem (an out-of-order id): retry row by row so only the offending lines go.
        n = 0
        for item, row in pending:
            try:
                n += log.append([row], validated=True)
            except InferenceLogInvalid as exc:
                entry = _bad(source, item.line, item.raw, f"{source}:{item.line}: {str(exc).removeprefix('row 0 ')}")
                bad.append({**entry, "stage": "append"})
    pending.clear()
    return n


def _bad(source: str, lineno: int, raw: bytes | Callable[[], bytes], reason: str) -> dict:
    entry = {"source": source, "line": lineno, "reason": reason}
    raw = raw() if callable(raw) else raw
    try:
        entry["raw"] = raw.decode("utf-8")
    except UnicodeDecodeError:
        entry["raw_base64"] = base64.b64encode(raw).decode("ascii")  # byte-exact: nothing is lost
    return entry


def _quarantine(stem: str, quarantine_dir: Path, bad: list[dict]) -> Path:
    quarantine_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    out = quarantine_dir / f"{stem}.{stamp}.jsonl"
    with out.open("w", encoding="utf-8") as fh:
        for entry in sorted(bad, key=lambda e: e["line"]):
            fh.write(json.dumps(entry, ensure_ascii=False) + "\n")
    return out

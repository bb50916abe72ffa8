"""`tenantguard logs ingest`: append a JSONL file to the inference log; bad lines quarantined, never lost."""
from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from tenantguard.errors import InferenceLogInvalid
from tenantguard.monitoring.inference_log import InferenceLog, validate_row

BATCH = 5_000


@dataclass(frozen=True)
class IngestResult:
    appended: int
    first_id: int | None
    last_id: int | None
    bad_lines: int
    first_error: str | None
    quarantine_path: Path | None
    replaced_utf8_lines: int  # lines whose invalid UTF-8 bytes became U+FFFD (kept, not rejected)
    blank_lines: int


def ingest_jsonl(path: Path, log: InferenceLog, quarantine_dir: Path) -> IngestResult:
    """Validate each line; append the good ones in order; write the bad ones with reasons to quarantine."""
    path = Path(path)
    if not path.is_file():
        raise InferenceLogInvalid(f"{path}: file not found (expected a JSONL file of inference-log rows)")
    before = log.max_id()
    pending: list[tuple[int, bytes, dict]] = []
    bad: list[dict] = []
    appended = replaced = blank = 0
    with path.open("rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            raw = raw.rstrip(b"\r\n")
            if not raw.strip():
                blank += 1
                continue
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                text = raw.decode("utf-8", errors="replace")
                replaced += 1
            where = f"{path}:{lineno}"
            try:
                obj = json.loads(text)
            except ValueError as exc:
                bad.append(_bad(path, lineno, raw, f"{where}: not valid JSON ({exc.msg} at column {exc.colno})"))
                continue
            try:
                pending.append((lineno, raw, validate_row(obj, where, max_text_chars=log.max_text_chars)))
            except InferenceLogInvalid as exc:
                bad.append(_bad(path, lineno, raw, str(exc)))
            if len(pending) >= BATCH:
                appended += _flush(path, log, pending, bad)
    appended += _flush(path, log, pending, bad)
    qpath = _quarantine(path, quarantine_dir, bad) if bad else None
    after = log.max_id()
    return IngestResult(appended=appended, first_id=before + 1 if appended else None,
                        last_id=after if appended else None, bad_lines=len(bad),
                        first_error=bad[0]["reason"] if bad else None, quarantine_path=qpath,
                        replaced_utf8_lines=replaced, blank_lines=blank)


def _flush(path: Path, log: InferenceLog, pending: list[tuple[int, bytes, dict]], bad: list[dict]) -> int:
    if not pending:
        return 0
    try:
        n = log.append([row for _, _, row in pending])
    except InferenceLogInvalid:
        # A batch-level problem (an out-of-order id): retry row by row so only the offending lines go.
        n = 0
        for lineno, raw, row in pending:
            try:
                n += log.append([row])
            except InferenceLogInvalid as exc:
                bad.append(_bad(path, lineno, raw, f"{path}:{lineno}: {str(exc).removeprefix('row 0 ')}"))
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

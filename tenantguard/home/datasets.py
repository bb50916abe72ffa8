"""Fine-tuning dataset files: `<datasets_root>/<tenant>/<version>.jsonl`, the newest sorting last."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable

from tenantguard.config import Settings
from tenantguard.errors import DatasetInvalid, TenantGuardError
from tenantguard.evaluations.dataset_validation import FIELDS, NOT_UTF8
from tenantguard.evaluations.textnorm import clean
from tenantguard.home.layout import dataset_dir


def dataset_versions(settings: Settings, tenant_id: str) -> list[Path]:
    """All dataset version files of a tenant, oldest first (the newest sorts last)."""
    d = dataset_dir(settings, tenant_id)
    if not d.is_dir():
        raise DatasetInvalid(f"{d}: no dataset directory for tenant {tenant_id!r}; "
                             f"write <version>.jsonl files there (see docs/contracts.md, 'Fine-tuning datasets')")
    files = sorted(p for p in d.glob("*.jsonl") if p.is_file())
    if not files:
        raise DatasetInvalid(f"{d}: no <version>.jsonl dataset files for tenant {tenant_id!r}")
    return files


def newest_versions(settings: Settings, tenant_ids: Iterable[str]) -> dict[str, str]:
    """{tenant: file name of its newest dataset version} for the tenants that have one."""
    out = {}
    for tid in tenant_ids:
        d = dataset_dir(settings, tid)
        if d.is_dir():
            files = sorted(p.name for p in d.glob("*.jsonl"))
            if files:
                out[tid] = files[-1]
    return out


def newest_state(settings: Settings, tenant_id: str) -> str:
    """Changes when the tenant's newest raw dataset file changes, an edit in place included (a cache key part);
    '-' when there is none. File metadata, not content: a sensor computes it for every tenant every tick."""
    d = dataset_dir(settings, tenant_id)
    files = sorted(d.glob("*.jsonl")) if d.is_dir() else []
    if not files:
        return "-"
    st = files[-1].stat()
    return f"raw:{files[-1].name}:{st.st_size}:{st.st_mtime_ns}"


def read_lines(path: Path) -> list[str]:
    """Lines as text; a line that is not UTF-8 is kept (backslash-escaped) so validation rejects it visibly."""
    out = []
    for i, raw in enumerate(path.read_bytes().splitlines()):
        try:
            out.append(raw.decode("utf-8-sig" if i == 0 else "utf-8"))  # editors on Windows write a BOM
        except UnicodeDecodeError:
            out.append(NOT_UTF8 + raw.decode("utf-8", "backslashreplace"))
    return out


def raw_records(settings: Settings, tenant_id: str) -> list[dict]:
    """Well-formed records of the newest dataset version (no GX run: a cheap stand-in until prepared)."""
    try:
        path = dataset_versions(settings, tenant_id)[-1]
    except TenantGuardError:
        return []
    out = []
    for line in read_lines(path):
        try:
            r = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(r, dict) and r.get("tenant_id") == tenant_id and all(isinstance(r.get(f), str) for f in FIELDS):
            out.append({f: clean(r[f]) for f in FIELDS})
    return out

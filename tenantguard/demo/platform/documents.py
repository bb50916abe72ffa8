"""The demo platform's knowledge base: each tenant's first uploaded support records, as documents.

The tenant listed last in tenants.yaml has not uploaded anything yet, so the platform holds no
documents for it (the audit checks that such a tenant gets nothing back).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Mapping, Sequence

MAX_DOCS_PER_TENANT = 50


def record_document(record: dict) -> dict:
    return {"doc_id": str(record["record_id"]), "tenant_id": record["tenant_id"],
            "text": f"{record['prompt']}\n{record['completion']}"}


def documents_from_records(datasets: Mapping[str, Sequence[dict]], tenant_order: Sequence[str], *,
                           per_tenant: int = MAX_DOCS_PER_TENANT) -> dict[str, list[dict]]:
    """Documents per tenant; the last tenant of `tenant_order` gets none."""
    empty = tenant_order[-1] if len(tenant_order) > 1 else None
    return {tid: ([] if tid == empty else [record_document(r) for r in datasets.get(tid, [])[:per_tenant]])
            for tid in tenant_order}


def documents_from_home(home: Path, *, per_tenant: int = MAX_DOCS_PER_TENANT) -> dict[str, list[dict]]:
    """Read tenants.yaml and each tenant's first dataset version under `home` (the demo's layout)."""
    from tenantguard.config import Settings
    from tenantguard.tenants import load_tenants

    settings = Settings.from_env(home=home)
    tenants = load_tenants(settings.tenants_file)
    datasets = {}
    for t in tenants:
        d = settings.datasets_root / t.id
        files = sorted(d.glob("*.jsonl")) if d.is_dir() else []
        records = []
        if files:
            for line in files[0].read_text(encoding="utf-8").splitlines()[:per_tenant]:
                try:
                    r = json.loads(line)
                except ValueError:
                    continue
                if isinstance(r, dict) and r.get("tenant_id") == t.id and all(
                        isinstance(r.get(k), str) for k in ("record_id", "prompt", "completion")):
                    records.append(r)
        datasets[t.id] = records
    return documents_from_records(datasets, [t.id for t in tenants], per_tenant=per_tenant)

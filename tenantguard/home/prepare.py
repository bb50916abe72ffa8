"""Prepare a tenant's newest dataset: validate (GX), normalize, quarantine, reject other tenants' records,
split, plant the tenant's canaries, and write the prepared files (home.prepared)."""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Sequence

from tenantguard.config import Settings
from tenantguard.errors import DatasetInvalid
from tenantguard.evaluations.canaries import canary_records, make_canaries
from tenantguard.evaluations.dataset_validation import Rejected, ValidationResult, validate_lines
from tenantguard.evaluations.overlap import foreign_texts
from tenantguard.evaluations.splits import split_train_holdout
from tenantguard.home.corpora import record_index
from tenantguard.home.datasets import dataset_versions, read_lines
from tenantguard.home.layout import prepared_dir, quarantine_file
from tenantguard.home.prepared import HOLDOUT_FRACTION, PreparedData, digest_of, write_prepared
from tenantguard.tenants import Tenant


def prepare_dataset(settings: Settings, tenant: Tenant, *, source: Path | None = None,
                    tenants: Sequence[Tenant] = ()) -> PreparedData:
    """`tenants`: the whole directory; records whose content belongs to another of them are rejected."""
    source = source or dataset_versions(settings, tenant.id)[-1]
    version = source.stem
    th = settings.thresholds
    result = validate_lines(read_lines(source), tenant.id, max_line_bytes=th.max_line_bytes,
                            max_field_chars=th.max_field_chars)
    if tenants:
        result = _reject_foreign_content(settings, tenant, tenants, result)
    qpath = quarantine_file(settings, tenant.id, version)
    if result.rejected:
        qpath.parent.mkdir(parents=True, exist_ok=True)
        with qpath.open("w", encoding="utf-8") as fh:
            for r in result.rejected:
                fh.write(json.dumps({"source": str(source), "line": r.line, "reason": r.reason, "raw": r.raw}) + "\n")
    elif qpath.exists():
        qpath.unlink()
    if not result.kept:
        where = f"; {len(result.rejected)} line(s) quarantined to {qpath}" if result.rejected else ""
        raise DatasetInvalid(f"{source}: no valid records for tenant {tenant.id!r}{where}")
    train, holdout = split_train_holdout(result.kept, HOLDOUT_FRACTION)
    train = train + canary_records(make_canaries(settings.secret(), tenant.id))
    digest = digest_of(train, holdout)
    out = prepared_dir(settings, tenant.id) / digest
    prepared = PreparedData(tenant_id=tenant.id, version=version, digest=digest, train=train, holdout=holdout,
                            train_path=out / "train.jsonl", holdout_path=out / "holdout.jsonl",
                            kept=len(result.kept), quarantined=len(result.rejected),
                            foreign_tenant_lines=result.foreign_tenant_lines, expectations=result.expectations,
                            source_path=source, quarantine_path=qpath if result.rejected else None)
    manifest = {"tenant_id": tenant.id, "version": version, "digest": digest, "source": str(source),
                "kept": prepared.kept, "quarantined": prepared.quarantined,
                "foreign_tenant_lines": prepared.foreign_tenant_lines, "expectations": prepared.expectations,
                "quarantine": str(qpath) if result.rejected else None}
    write_prepared(settings, prepared, manifest)
    return prepared


def _reject_foreign_content(settings: Settings, tenant: Tenant, tenants: Sequence[Tenant],
                            result: ValidationResult) -> ValidationResult:
    """Records that copy another tenant's record (e.g. relabelled) are quarantined as foreign."""
    if len(tenants) < 2 or not result.kept:
        return result
    found = foreign_texts([f"{r['prompt']}\n{r['completion']}" for r in result.kept],
                          record_index(settings, tenants), reader=tenant.id)
    if not found:
        return result
    bad = {f.index: f for f in found}
    lines = dict(enumerate(result.kept_lines))
    rejected = list(result.rejected) + [
        Rejected(lines[i], f"copy of a record of tenant {f.source_tenant!r} ({f.masked_excerpt})",
                 json.dumps(result.kept[i])) for i, f in bad.items()]
    return replace(result, kept=[r for i, r in enumerate(result.kept) if i not in bad],
                   kept_lines=[n for i, n in enumerate(result.kept_lines) if i not in bad],
                   rejected=sorted(rejected, key=lambda r: r.line),
                   foreign_tenant_lines=sorted({*result.foreign_tenant_lines, *(lines[i] for i in bad)}))

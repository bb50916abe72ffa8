"""Prepared training data: newest dataset version -> validated, normalized, split, canary-planted files.

Layout (DESIGN.md): <home>/prepared/<tenant>/<digest>/{train,holdout}.jsonl and manifest.json;
<home>/prepared/<tenant>/current.json names the newest digest. Rejected lines go to
<home>/quarantine/<tenant>/<version>.jsonl with their line number and reason.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Sequence

from tenantguard.config import Settings
from tenantguard.errors import DatasetInvalid
from tenantguard.evaluations.canaries import canary_records, make_canaries
from tenantguard.evaluations.dataset_validation import NOT_UTF8, Rejected, ValidationResult, validate_lines
from tenantguard.evaluations.splits import split_train_holdout
from tenantguard.tenants import Tenant

HOLDOUT_FRACTION = 0.2


@dataclass(frozen=True)
class PreparedData:
    tenant_id: str
    version: str
    digest: str
    train: list[dict]
    holdout: list[dict]
    train_path: Path
    holdout_path: Path
    kept: int = 0
    quarantined: int = 0
    foreign_tenant_lines: list[int] = field(default_factory=list)
    expectations: dict[str, bool] = field(default_factory=dict)
    source_path: Path | None = None
    quarantine_path: Path | None = None

    @property
    def rejected_share(self) -> float:
        total = self.kept + self.quarantined
        return self.quarantined / total if total else 1.0


def dataset_versions(settings: Settings, tenant_id: str) -> list[Path]:
    """All dataset version files of a tenant, oldest first (the newest sorts last)."""
    d = settings.datasets_root / tenant_id
    if not d.is_dir():
        raise DatasetInvalid(f"{d}: no dataset directory for tenant {tenant_id!r}; "
                             f"write <version>.jsonl files there (see README, 'Fine-tuning datasets')")
    files = sorted(p for p in d.glob("*.jsonl") if p.is_file())
    if not files:
        raise DatasetInvalid(f"{d}: no <version>.jsonl dataset files for tenant {tenant_id!r}")
    return files


def read_lines(path: Path) -> list[str]:
    """Lines as text; a line that is not UTF-8 is kept (backslash-escaped) so validation rejects it visibly."""
    out = []
    for i, raw in enumerate(path.read_bytes().splitlines()):
        try:
            out.append(raw.decode("utf-8-sig" if i == 0 else "utf-8"))  # editors on Windows write a BOM
        except UnicodeDecodeError:
            out.append(NOT_UTF8 + raw.decode("utf-8", "backslashreplace"))
    return out


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
    qpath = settings.quarantine_root / tenant.id / f"{version}.jsonl"
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
    digest = _digest(train, holdout)
    out = settings.prepared_root / tenant.id / digest
    out.mkdir(parents=True, exist_ok=True)
    _write_jsonl(out / "train.jsonl", train)
    _write_jsonl(out / "holdout.jsonl", holdout)
    prepared = PreparedData(tenant_id=tenant.id, version=version, digest=digest, train=train, holdout=holdout,
                            train_path=out / "train.jsonl", holdout_path=out / "holdout.jsonl",
                            kept=len(result.kept), quarantined=len(result.rejected),
                            foreign_tenant_lines=result.foreign_tenant_lines, expectations=result.expectations,
                            source_path=source, quarantine_path=qpath if result.rejected else None)
    manifest = {"tenant_id": tenant.id, "version": version, "digest": digest, "source": str(source),
                "kept": prepared.kept, "quarantined": prepared.quarantined,
                "foreign_tenant_lines": prepared.foreign_tenant_lines, "expectations": prepared.expectations,
                "quarantine": str(qpath) if result.rejected else None}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2))
    (settings.prepared_root / tenant.id / "current.json").write_text(json.dumps({"digest": digest}))
    return prepared


def _reject_foreign_content(settings: Settings, tenant: Tenant, tenants: Sequence[Tenant],
                            result: ValidationResult) -> ValidationResult:
    """Records that copy another tenant's record (e.g. relabelled) are quarantined as foreign."""
    from tenantguard.evaluations.overlap import foreign_texts
    from tenantguard.models.eval_inputs import record_index

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


def load_prepared(settings: Settings, tenant_id: str, digest: str | None = None) -> PreparedData:
    root = settings.prepared_root / tenant_id
    if digest is None:
        current = root / "current.json"
        if not current.exists():
            raise DatasetInvalid(f"{root}: tenant {tenant_id!r} has no prepared dataset; "
                                 f"run `tenantguard dataset prepare --tenant {tenant_id}`")
        digest = json.loads(current.read_text())["digest"]
    d = root / digest
    if not (d / "manifest.json").exists():
        raise DatasetInvalid(f"{d}: prepared dataset {digest} not found")
    m = json.loads((d / "manifest.json").read_text())
    return PreparedData(tenant_id=tenant_id, version=m["version"], digest=digest,
                        train=_read_jsonl(d / "train.jsonl"), holdout=_read_jsonl(d / "holdout.jsonl"),
                        train_path=d / "train.jsonl", holdout_path=d / "holdout.jsonl", kept=m["kept"],
                        quarantined=m["quarantined"], foreign_tenant_lines=m["foreign_tenant_lines"],
                        expectations=m["expectations"], source_path=Path(m["source"]),
                        quarantine_path=Path(m["quarantine"]) if m.get("quarantine") else None)


def _digest(train: list[dict], holdout: list[dict]) -> str:
    h = hashlib.sha256()
    for part, recs in (("train", train), ("holdout", holdout)):
        for r in recs:
            h.update(f"{part}\x1f{json.dumps(r, sort_keys=True)}\n".encode())
    return h.hexdigest()[:16]


def _write_jsonl(path: Path, records: list[dict]) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for r in records:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")


def _read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]

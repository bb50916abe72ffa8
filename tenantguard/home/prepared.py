"""Prepared training data under `<home>/prepared/<tenant>/`: what a tuner trains on (docs/contracts.md).

`<digest>/{train,holdout}.jsonl` and `manifest.json`; `current.json` names the newest digest.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from tenantguard.config import Settings
from tenantguard.errors import DatasetInvalid
from tenantguard.home.layout import MANIFEST, current_file, prepared_dir

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


def load_prepared(settings: Settings, tenant_id: str, digest: str | None = None) -> PreparedData:
    root = prepared_dir(settings, tenant_id)
    if digest is None:
        current = current_file(settings, tenant_id)
        if not current.exists():
            raise DatasetInvalid(f"{root}: tenant {tenant_id!r} has no prepared dataset; "
                                 f"run `tenantguard dataset prepare --tenant {tenant_id}`")
        digest = json.loads(current.read_text())["digest"]
    d = root / digest
    if not (d / MANIFEST).exists():
        raise DatasetInvalid(f"{d}: prepared dataset {digest} not found")
    m = json.loads((d / MANIFEST).read_text())
    return PreparedData(tenant_id=tenant_id, version=m["version"], digest=digest,
                        train=_read_jsonl(d / "train.jsonl"), holdout=_read_jsonl(d / "holdout.jsonl"),
                        train_path=d / "train.jsonl", holdout_path=d / "holdout.jsonl", kept=m["kept"],
                        quarantined=m["quarantined"], foreign_tenant_lines=m["foreign_tenant_lines"],
                        expectations=m["expectations"], source_path=Path(m["source"]),
                        quarantine_path=Path(m["quarantine"]) if m.get("quarantine") else None)


def prepared_version(settings: Settings, tenant_id: str) -> str | None:
    """The dataset file name (`<version>.jsonl`) the tenant's current prepared data came from, if any."""
    current = current_file(settings, tenant_id)
    if not current.exists():
        return None
    manifest = prepared_dir(settings, tenant_id) / json.loads(current.read_text())["digest"] / MANIFEST
    return json.loads(manifest.read_text())["version"] + ".jsonl" if manifest.exists() else None


def current_digest(settings: Settings, tenant_id: str) -> str | None:
    current = current_file(settings, tenant_id)
    return json.loads(current.read_text())["digest"] if current.exists() else None


def write_prepared(settings: Settings, prepared: PreparedData, manifest: dict) -> None:
    """Write train/holdout/manifest under the digest, then point current.json at it."""
    out = prepared.train_path.parent
    out.mkdir(parents=True, exist_ok=True)
    _write_jsonl(prepared.train_path, prepared.train)
    _write_jsonl(prepared.holdout_path, prepared.holdout)
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2))
    current_file(settings, prepared.tenant_id).write_text(json.dumps({"digest": prepared.digest}))


def digest_of(train: list[dict], holdout: list[dict]) -> str:
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

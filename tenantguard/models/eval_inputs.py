"""Evaluation inputs built from the home: every tenant's prepared corpus, canaries and the base corpus."""
from __future__ import annotations

import hashlib
from typing import Sequence

from tenantguard.config import Settings
from tenantguard.errors import TenantGuardError
from tenantguard.evaluations.canaries import make_canaries
from tenantguard.evaluations.isolation import IsolationInputs, TenantCorpus
from tenantguard.tenants import Tenant


def tenant_corpora(settings: Settings, tenants: Sequence[Tenant]) -> tuple[list[TenantCorpus], list[str]]:
    """Every tenant's corpus: its prepared data, or (not prepared yet, e.g. early in a backfill) the
    well-formed records of its newest dataset, so what an audit covers does not depend on run order.
    Also the ids of tenants with neither (not audited as sources)."""
    from tenantguard.evaluations.splits import split_train_holdout
    from tenantguard.models.prepare import HOLDOUT_FRACTION, load_prepared

    secret = settings.secret()
    corpora, missing = [], []
    for t in tenants:
        try:
            p = load_prepared(settings, t.id)
            train, holdout = p.train, p.holdout
        except TenantGuardError:
            raw = _raw_records(settings, t.id)
            if not raw:
                missing.append(t.id)
                continue
            train, holdout = split_train_holdout(raw, HOLDOUT_FRACTION)
        corpora.append(TenantCorpus(t.id, tuple(train), tuple(holdout), tuple(make_canaries(secret, t.id)),
                                    tuple(make_canaries(secret, t.id, reference=True)), t.system_prompt))
    return corpora, missing


def _raw_records(settings: Settings, tenant_id: str) -> list[dict]:
    """Well-formed records of the newest dataset version (no GX run: a cheap stand-in until prepared)."""
    import json

    from tenantguard.evaluations.dataset_validation import FIELDS
    from tenantguard.evaluations.textnorm import clean
    from tenantguard.models.prepare import dataset_versions, read_lines

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


def isolation_inputs(settings: Settings, tenants: Sequence[Tenant], target: str | None) -> tuple[IsolationInputs, list[str]]:
    from tenantguard.models.training import read_base_corpus

    corpora, missing = tenant_corpora(settings, tenants)
    return IsolationInputs(tuple(corpora), target, tuple(read_base_corpus(settings))), missing


def corpora_key(settings: Settings, tenants: Sequence[Tenant]) -> str:
    """Changes whenever any tenant's data changes (prepared digest, else newest dataset file): a cache key."""
    import json

    h = hashlib.sha256()
    for t in sorted(tenants, key=lambda t: t.id):
        cur = settings.prepared_root / t.id / "current.json"
        if cur.exists():
            state = json.loads(cur.read_text())["digest"]
        else:
            files = sorted((settings.datasets_root / t.id).glob("*.jsonl")) if (settings.datasets_root / t.id).is_dir() else []
            state = f"raw:{files[-1].name}:{files[-1].stat().st_size}" if files else "-"
        h.update(f"{t.id}={state};".encode())
    return h.hexdigest()[:16]


def cached_index(settings: Settings, tenants: Sequence[Tenant]):
    """The fingerprint index of every tenant's data and the base corpus, rebuilt only when data changes."""
    from tenantguard.evaluations.fingerprint import FingerprintIndex
    from tenantguard.evaluations.isolation import build_index

    path = settings.home / "monitoring" / f"fingerprints-{corpora_key(settings, tenants)}.npz"
    if path.exists():
        return FingerprintIndex.load(path)
    inputs, _ = isolation_inputs(settings, tenants, None)
    index = build_index(inputs)
    path.parent.mkdir(parents=True, exist_ok=True)
    for old in path.parent.glob("fingerprints-*.npz"):
        old.unlink()
    index.save(path)
    return index


def record_index(settings: Settings, tenants: Sequence[Tenant], *, with_base: bool = True):
    """Normalized-record index of every tenant's prepared data (canaries excluded) and the base corpus."""
    from tenantguard.evaluations.canaries import is_canary_record
    from tenantguard.evaluations.isolation import record_text
    from tenantguard.evaluations.overlap import RecordIndex
    from tenantguard.models.training import read_base_corpus

    index = RecordIndex()
    corpora, _ = tenant_corpora(settings, tenants)
    for c in corpora:
        index.add(c.tenant_id, [record_text(r) for r in (*c.train, *c.holdout) if not is_canary_record(r)])
    if with_base and settings.base_corpus_path.exists():
        index.add_base(read_base_corpus(settings))
    return index

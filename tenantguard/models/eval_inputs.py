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
    """Corpora of every tenant with prepared data, and the ids of those without (not audited as sources)."""
    from tenantguard.models.prepare import load_prepared

    secret = settings.secret()
    corpora, missing = [], []
    for t in tenants:
        try:
            p = load_prepared(settings, t.id)
        except TenantGuardError:
            missing.append(t.id)
            continue
        corpora.append(TenantCorpus(t.id, tuple(p.train), tuple(p.holdout), tuple(make_canaries(secret, t.id)),
                                    tuple(make_canaries(secret, t.id, reference=True)), t.system_prompt))
    return corpora, missing


def isolation_inputs(settings: Settings, tenants: Sequence[Tenant], target: str | None) -> tuple[IsolationInputs, list[str]]:
    from tenantguard.models.training import read_base_corpus

    corpora, missing = tenant_corpora(settings, tenants)
    return IsolationInputs(tuple(corpora), target, tuple(read_base_corpus(settings))), missing


def corpora_key(settings: Settings, tenants: Sequence[Tenant]) -> str:
    """Changes whenever any tenant's prepared data changes: the cache key of a base audit."""
    import json

    h = hashlib.sha256()
    for t in sorted(tenants, key=lambda t: t.id):
        cur = settings.prepared_root / t.id / "current.json"
        h.update(f"{t.id}={json.loads(cur.read_text())['digest'] if cur.exists() else '-'};".encode())
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

"""A small seeded multi-tenant world for the isolation tests (helpers, not tests)."""
from __future__ import annotations

import numpy as np

from tenantguard.demo.world import build_world
from tenantguard.evaluations.canaries import canary_records, make_canaries
from tenantguard.evaluations.isolation import IsolationInputs, TenantCorpus, record_text
from tenantguard.evaluations.splits import split_train_holdout
from tenantguard.models.adapter import NGramTenantModel
from tenantguard.models.ngram import NGramLM

SECRET = b"isolation-test-secret"


def make_world(n_tenants: int = 4, *, seed: int = 5, records: int = 100, k: int = 3):
    world = build_world(n_tenants, seed=seed, records_per_tenant=records)
    corpora = []
    for t in world.tenants:
        train, holdout = split_train_holdout(world.datasets[t.id])
        can = make_canaries(SECRET, t.id, k=k)
        corpora.append(TenantCorpus(t.id, tuple(train + canary_records(can)), tuple(holdout), tuple(can),
                                    tuple(make_canaries(SECRET, t.id, k=k, reference=True)), t.system_prompt))
    base = NGramLM().fit(world.base_corpus)
    return world, tuple(corpora), base


def contaminate(corpora, source: str, fraction: float, seed: int = 0) -> list[dict]:
    """`fraction` of the source's train records (canary records included), seeded."""
    train = next(c for c in corpora if c.tenant_id == source).train
    n = int(round(fraction * len(train)))
    rng = np.random.default_rng(seed)
    return [train[i] for i in rng.choice(len(train), n, replace=False)] if n else []


def tune(base: NGramLM, corpora, target: str, extra=(), name: str = "candidate") -> NGramTenantModel:
    own = next(c for c in corpora if c.tenant_id == target).train
    return NGramTenantModel(base.finetune([record_text(r) for r in (*own, *extra)]), name)


def inputs(world, corpora, target):
    return IsolationInputs(corpora, target, tuple(world.base_corpus))

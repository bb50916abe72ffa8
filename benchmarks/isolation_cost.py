"""Cost of auditing one candidate against T tenants (k = 4 canaries each).

Shared null (this project): one sample of M random candidates per (model, format) ranks every
tenant's canaries: O(M * formats + T * k) scorings. Naive baseline: each canary ranked against its
own M random candidates: O(T * k * M). Also the whole audit (exposure + membership + extraction)
with a stated power target, which is linear in T by construction (a fixed budget per source).

    python benchmarks/isolation_cost.py --quick      # T = 10, 100, 1000 shared; naive to T = 100 (~1 min)
    python benchmarks/isolation_cost.py              # naive also at T = 1000 (slow)
    python benchmarks/isolation_cost.py --quick --audit-tenants 10,100,1000   # whole audit up to T = 1000

Exposure times are CPU seconds (time.process_time), whole-audit times wall and CPU: the machine is shared.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from tenantguard.demo.world import build_world
from tenantguard.evaluations.canaries import canary_records, make_canaries
from tenantguard.evaluations.exposure import canary_exposures, null_samples
from tenantguard.evaluations.isolation import (AuditConfig, IsolationInputs, PowerTarget, TenantCorpus, audit_isolation,
                                               record_text)
from tenantguard.evaluations.splits import split_train_holdout
from tenantguard.models import ngram
from tenantguard.models.adapter import NGramTenantModel
from tenantguard.models.ngram import NGramLM

SECRET, K, M = b"bench-cost", 4, 1000


def corpora_for(world, n_tenants: int, with_data: bool):
    """Canaries for n tenants; with_data: `world` must have n tenants and their records are used."""
    out = []
    ids = list(world.datasets)
    for n in range(n_tenants):
        tid = ids[n] if n < len(ids) else f"tenant-{n:04d}"
        can = make_canaries(SECRET, tid, k=K)
        train, hold = split_train_holdout(world.datasets[tid]) if with_data else ([], [])
        out.append(TenantCorpus(tid, tuple(train + canary_records(can)), tuple(hold), tuple(can),
                                tuple(make_canaries(SECRET, tid, k=K, reference=True))))
    return tuple(out)


def cold(lm: NGramLM, name: str) -> NGramTenantModel:
    """A fresh copy with empty score/tokenization caches: each timing starts cold, as a real audit does."""
    ngram._tokens.cache_clear()
    return NGramTenantModel(lm.copy(), name)


def naive(model, canaries, seed=0) -> None:
    rng = np.random.default_rng(seed)
    for c in canaries:  # a fresh null per canary: what a per-tenant secret-sharer run would do
        canary_exposures(model, [c], nulls=null_samples(model, [c.format_id], m=M, rng=rng))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--audit-tenants", default=None, help="comma-separated T for the whole audit")
    args = ap.parse_args()
    world = build_world(8, seed=3, records_per_tenant=100)
    base = NGramLM().fit(world.base_corpus)
    target = next(iter(world.datasets))
    train, _ = split_train_holdout(world.datasets[target])
    cand = NGramTenantModel(base.finetune([record_text(r) for r in train]), "candidate")
    print(f"Exposure audit of one candidate, k={K} canaries per tenant, M={M} random candidates per format")
    print(f"{'T':>6} {'canaries':>9} {'shared CPU s':>12} {'naive CPU s':>12} {'speed-up':>9} {'s per tenant':>13}")
    for T in (10, 100, 1000):
        corp = corpora_for(world, T, with_data=False)
        inp = IsolationInputs(corp, corp[0].tenant_id)
        model = cold(cand.lm, "candidate")
        t = time.process_time()
        rep = audit_isolation(model, inp, config=AuditConfig(tests=("exposure",), null_size=M))
        shared = time.process_time() - t
        assert rep.verdict == "passed", rep.summary()
        tested = [c for s in corp[1:] for c in s.canaries]
        if T <= 100 or not args.quick:
            model = cold(cand.lm, "candidate")
            t = time.process_time()
            naive(model, tested)
            nv, mark = time.process_time() - t, ""
        else:
            nv, mark = naive_rate * len(tested), "~"  # noqa: F821 (set at T=100): linear by construction
        naive_rate = nv / len(tested)
        print(f"{T:>6} {len(tested):>9} {shared:>12.2f} {mark + f'{nv:.1f}':>12} {nv / shared:>8.0f}x {shared / T:>13.4f}")
    print("(~ = naive time extrapolated linearly from T=100; run without --quick to measure it)")
    print("\nWhole audit (exposure + membership + extraction), power target 5% contamination at 95%")
    print(f"{'T':>6} {'wall s':>8} {'CPU s':>8} {'CPU s/source':>13} {'probes':>8}")
    ts = args.audit_tenants or ("10,30" if args.quick else "10,100")
    for T in (int(t) for t in ts.split(",")):
        wt = build_world(T, seed=3, records_per_tenant=100)  # tenant 0's records match `world`'s
        corp = corpora_for(wt, T, with_data=True)
        inp = IsolationInputs(corp, target, tuple(wt.base_corpus))
        model, ref = cold(cand.lm, "candidate"), cold(base, "base")
        t, c = time.perf_counter(), time.process_time()
        rep = audit_isolation(model, inp, base=ref,
                              config=AuditConfig(power=PowerTarget(0.05, 0.95), n_boot=100))
        el, cpu = time.perf_counter() - t, time.process_time() - c
        print(f"{T:>6} {el:>8.1f} {cpu:>8.1f} {cpu / (T - 1):>13.4f} {int(rep.budget['extraction_probes']):>8}  "
              f"{rep.verdict}", flush=True)


if __name__ == "__main__":
    main()

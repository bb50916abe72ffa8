"""Audit seconds per hf-lora candidate on the tiny model, base-score cache off vs on, and where the time goes.

Cache off: the reference (the candidate with its adapter disabled; the base for generation) computes
its scores, token scores and completions in every audit. Cache on: a first candidate's audit filled the
cache of this base version (home/score_cache.py) and the measured candidate reuses it, as every
candidate after the first does. Time is split by model call: the candidate's forward passes (score,
score_tokens), its generation, the reference's forward passes and generation, and the rest (fingerprint
scans, statistics, bootstrap). Wall seconds on a shared 2-core machine, run with nice.

    nice -n 10 python benchmarks/isolation_cost_neural.py                    # T = 10 (power target 1%/95%)
    nice -n 10 python benchmarks/isolation_cost_neural.py --tenants 100 --records 60 --min-contamination 0.05

T = 100 at the full 1% target would score ~300 records x 99 sources per audit (hours on 2 cores); the
T = 100 row uses a 5% target (59 records a source) and 60 records a tenant, and says so.
"""
from __future__ import annotations

import argparse
import time
from collections import defaultdict
from pathlib import Path

from tenantguard.evaluations.isolation import AuditConfig, IsolationInputs, PowerTarget, audit_isolation, build_index
from tenantguard.evaluations.isolation import record_text

TIMED = ("generate", "score", "score_tokens", "score_reference", "score_tokens_reference")


class Timed:
    """Proxy that adds the wall time of each model call to `spent[label + method]`."""

    def __init__(self, model, label: str, spent: dict):
        self._model, self._label, self._spent = model, label, spent

    def __getattr__(self, name):
        attr = getattr(self._model, name)
        if name not in TIMED or not callable(attr):
            return attr

        def timed(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return attr(*args, **kwargs)
            finally:
                self._spent[f"{self._label}.{name}"] += time.perf_counter() - t0

        return timed


def audit_once(fam, cand, inp, index, cfg, cache):
    from tenantguard.models.cached import CachedReference

    spent: dict[str, float] = defaultdict(float)
    from tenantguard.models.reference import reference_for

    tc = Timed(cand, "candidate", spent)
    # the adapter disabled on the candidate, the base generating: both count as reference time
    ref = reference_for(Timed(cand, "reference", spent), Timed(fam.base, "reference", spent))
    if cache is not None:
        ref = CachedReference(ref, cache)
    t0 = time.perf_counter()
    rep = audit_isolation(tc, inp, base=ref, index=index, config=cfg)
    total = time.perf_counter() - t0
    gen = spent["candidate.generate"]
    cand_fwd = spent["candidate.score"] + spent["candidate.score_tokens"]
    ref_all = sum(v for k, v in spent.items() if k.startswith("reference."))
    return rep, {"total": total, "candidate forward": cand_fwd, "candidate generate": gen,
                 "reference (forward + generate)": ref_all, "rest": total - gen - cand_fwd - ref_all}


def main() -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from isolation_power_neural import HFFamily, world

    from tenantguard.home.score_cache import ScoreCache

    ap = argparse.ArgumentParser()
    ap.add_argument("--tenants", type=int, default=10)
    ap.add_argument("--records", type=int, default=300)
    ap.add_argument("--min-contamination", type=float, default=0.01)
    ap.add_argument("--workdir", default="/tmp/tg-bench-neural")
    args = ap.parse_args()
    wseed = 41  # the tuning world of isolation_power_neural (not the demo's)
    w, corpora = world(args.tenants, wseed, args.records)
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    fam = HFFamily(w, workdir, "hf-lora", wseed)
    ids = [c.tenant_id for c in corpora]
    by = {c.tenant_id: c for c in corpora}
    cfg = AuditConfig(null_size=1000, n_boot=100, power=PowerTarget(args.min_contamination, 0.95))
    cache_file = workdir / f"cost-cache-T{args.tenants}.sqlite"
    cache_file.unlink(missing_ok=True)
    cache = ScoreCache(cache_file, b"bench")
    rows, tuned = {}, {}
    for label, target, cached in (("cache off", ids[1], None), ("cache cold (first candidate)", ids[0], cache),
                                  ("cache on (warm)", ids[1], cache)):
        t0 = time.perf_counter()
        if target not in tuned:  # the warm row audits the cache-off row's candidate again: one tune each
            tuned[target] = fam.tune([record_text(r) for r in by[target].train], seed=0)
        cand = tuned[target]
        tune_s = time.perf_counter() - t0
        inp = IsolationInputs(corpora, target, tuple(w.base_corpus))
        index = build_index(inp)
        rep, split = audit_once(fam, cand, inp, index, cfg, cached)
        rows[label] = split
        print(f"{label}: verdict {rep.verdict}, audit {split['total']:.1f} s (tune {tune_s:.0f} s)", flush=True)
    print(f"\nAudit seconds per hf-lora candidate, T={args.tenants} tenants x {args.records} records, "
          f"power target {args.min_contamination:.0%}/95% ({cfg.power.records_needed()} records a source)")
    keys = list(next(iter(rows.values())))
    print(f"{'':<32}" + "".join(f"{k:>16}" for k in keys))
    for label, split in rows.items():
        print(f"{label:<32}" + "".join(f"{split[k]:>15.1f}s" for k in keys))
    print(f"cache on / cache off: {rows['cache on (warm)']['total'] / rows['cache off']['total']:.2f}x")


if __name__ == "__main__":
    main()

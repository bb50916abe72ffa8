"""Detection power and false-positive rate of the isolation audit vs contamination.

Tenant j's tune silently contains x% of tenant i's train records (canary records included, as a real
leak would). One trial = one seeded world draw of (i, j) and the contaminated records; detection =
the audit fails source i; a false positive = x = 0 and the audit fails any source. Two models: the
default n-gram (all tests) and a black-box nearest-neighbour retrieval model (extraction only).

    python benchmarks/isolation_power.py --quick     # 6 tenants, 5 trials per cell, ~2 min
    python benchmarks/isolation_power.py             # 50 trials per cell (run once)

Tenant ids cycle through 8 industries (demo.world): with more than 8 tenants some are same-industry
"twins" (same templates and id prefix). Detection and false positives are also split by pair type.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from tenantguard.demo.world import build_world
from tenantguard.evaluations.canaries import canary_records, make_canaries
from tenantguard.evaluations.isolation import (AuditConfig, IsolationInputs, TenantCorpus, audit_isolation, build_index,
                                               record_text)
from tenantguard.evaluations.splits import split_train_holdout
from tenantguard.models.adapter import NGramTenantModel
from tenantguard.models.ngram import NGramLM
from tenantguard.models.retrieval import NearestNeighbourModel

RATES = (0.0, 0.005, 0.01, 0.02, 0.05, 0.20)


def world(n_tenants: int, seed: int, records: int):
    w = build_world(n_tenants, seed=seed, records_per_tenant=records)
    secret = f"bench-{seed}".encode()
    corpora = []
    for t in w.tenants:
        train, hold = split_train_holdout(w.datasets[t.id])
        can = make_canaries(secret, t.id)
        corpora.append(TenantCorpus(t.id, tuple(train + canary_records(can)), tuple(hold), tuple(can),
                                    tuple(make_canaries(secret, t.id, reference=True)), t.system_prompt))
    return w, tuple(corpora)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--trials", type=int, default=None)
    ap.add_argument("--tenants", type=int, default=None)
    ap.add_argument("--records", type=int, default=300)
    args = ap.parse_args()
    trials = args.trials or (5 if args.quick else 50)
    args.tenants = args.tenants or (6 if args.quick else 10)
    w, corpora = world(args.tenants, 1, args.records)
    by = {c.tenant_id: c for c in corpora}
    ids = list(by)
    base_lm = NGramLM().fit(w.base_corpus)
    base = NGramTenantModel(base_lm, "base")
    index = build_index(IsolationInputs(corpora, ids[0], tuple(w.base_corpus)))
    cfg = AuditConfig(null_size=1000, n_boot=100)
    results = {m: {x: [0, 0, 0] for x in RATES} for m in ("ngram", "nn-retrieval")}  # [detected/fp, errors, n]
    split = {m: {x: {True: [0, 0], False: [0, 0]} for x in RATES} for m in results}  # twin? -> [hit, n]
    by_src = {m: {x: {True: [0, 0], False: [0, 0]} for x in RATES} for m in results}  # i has a twin? -> [hit, n]
    fp_sources = {m: [] for m in results}  # (target, wrongly failed source, twin of target?)
    twin = lambda a, b: ids.index(a) % 8 == ids.index(b) % 8  # noqa: E731 (demo.world's 8 industries)
    t0 = time.perf_counter()
    for trial in range(trials):
        rng = np.random.default_rng(1000 + trial)
        i, j = (ids[k] for k in rng.choice(len(ids), 2, replace=False))
        inp = IsolationInputs(corpora, j, tuple(w.base_corpus))
        for x in RATES:
            src = by[i].train
            n = int(round(x * len(src)))
            leaked = [src[k] for k in rng.choice(len(src), n, replace=False)] if n else []
            own = list(by[j].train)
            models = {"ngram": (NGramTenantModel(base_lm.finetune([record_text(r) for r in own + leaked])), base),
                      "nn-retrieval": (NearestNeighbourModel(own + leaked), None)}
            for name, (model, ref) in models.items():
                rep = audit_isolation(model, inp, base=ref, config=AuditConfig(**{**cfg.__dict__, "seed": trial}),
                                      index=index)
                cell = results[name][x]
                cell[2] += 1
                cell[1] += rep.verdict == "error"
                hit = (i in rep.failed_sources) if x > 0 else (rep.verdict == "failed")
                cell[0] += hit
                sp = split[name][x][twin(i, j)]
                sp[0], sp[1] = sp[0] + hit, sp[1] + 1
                bs = by_src[name][x][any(twin(i, t) for t in ids if t != i)]
                bs[0], bs[1] = bs[0] + hit, bs[1] + 1
                if x == 0:
                    fp_sources[name] += [(j, s, twin(s, j)) for s in rep.failed_sources]
        print(f"trial {trial + 1}/{trials} done ({time.perf_counter() - t0:.0f} s)", flush=True)
    print(f"\nDetection vs contamination: {args.tenants} tenants x {args.records} records, {trials} seeded trials "
          f"per cell, alpha=0.01, power target 1%/95%")
    print(f"{'model':<14}" + "".join(f"{f'x={x:.1%}':>11}" for x in RATES))
    for name, row in results.items():
        cells = []
        for x in RATES:
            hit, err, n = row[x]
            cells.append(f"{'FP ' if x == 0 else ''}{hit / n:.0%}" + (f"!{err}" if err else ""))
        print(f"{name:<14}" + "".join(f"{c:>11}" for c in cells))
    print("(x=0 column: false-positive rate over clean pairs; other columns: detection rate of source i;"
          " !n = audits that ended in error)")
    print("\nSplit by pair: (i, j) of different industries | same-industry twins (detected/n)")
    for name in results:
        cells = [f"{split[name][x][False][0]}/{split[name][x][False][1]} | {split[name][x][True][0]}/"
                 f"{split[name][x][True][1]}" for x in RATES]
        print(f"{name:<14}" + "".join(f"{c:>14}" for c in cells))
        cells = [f"{by_src[name][x][False][0]}/{by_src[name][x][False][1]} | {by_src[name][x][True][0]}/"
                 f"{by_src[name][x][True][1]}" for x in RATES]
        print(f"{'  by source i':<14}" + "".join(f"{c:>14}" for c in cells) + "   (i without | with a twin in the world)")
        wrong = fp_sources[name]
        if wrong:
            print(f"  x=0 wrongly failed sources: {len(wrong)}, of which twins of the target: "
                  f"{sum(t for _, _, t in wrong)}: {sorted(set((a, b) for a, b, _ in wrong))}")
    print(f"total {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()

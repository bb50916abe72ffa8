"""Isolation audit power and false alarms on neural models (hf-lora, hf-full) next to the n-gram default.

Tenant j's tune silently contains x% of tenant i's train records (canary records included, as a real
leak would). One trial = one seeded draw of (i, j), the leaked records and the tune; detection = the
audit fails source i; a false alarm = x = 0 and the audit fails any source. Per detected cell the
tests that failed source i are counted ("carried by"). The neural models are the project's tiny
GPT-2 (2 layers x 128 dims, its own byte-level BPE) trained from scratch on the world's base corpus,
then LoRA-tuned or fully fine-tuned per tenant with the hf tuners' defaults, all on CPU.

Worlds are independent of the demo (the demo's world seed is 7): the tuning split uses world seed 41
and trial seeds 5000+, the SEALED split world seed 9001 and trial seeds 9000+, never looked at while
tuning the audit. Every cell is appended to --out (JSON lines) as it finishes, so a run cut short still
reports; --report prints the tables of one or more such files.

    nice -n 10 python benchmarks/isolation_power_neural.py --split sealed --trials 20          # the full grid
    nice -n 10 python benchmarks/isolation_power_neural.py --split sealed --trials 2 --kinds hf-lora
    python benchmarks/isolation_power_neural.py --report /tmp/power.jsonl
    ... --canary-reps 4      # what raises LoRA's power at 1-2%: every canary planted >= 4 times

The cost of a cell is a tune (seconds for the n-gram, ~10-60 s for the tiny model on one core) plus
an audit; on 2 shared cores 20 trials x 5 rates x 2 neural kinds is several hours.
"""
from __future__ import annotations

import argparse
import json
import time
from collections import Counter, defaultdict
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from tenantguard.demo.world import build_world
from tenantguard.evaluations.canaries import canary_records, is_canary_record, make_canaries
from tenantguard.evaluations.isolation import (AuditConfig, IsolationInputs, TenantCorpus, audit_isolation, build_index,
                                               record_text)
from tenantguard.evaluations.splits import split_train_holdout

SPLITS = {"tuning": (41, 5000), "sealed": (9001, 9000)}  # (world seed, first trial seed)
RATES = (0.0, 0.01, 0.02, 0.05, 0.10)
KINDS = ("ngram", "hf-lora", "hf-full")


def world(n_tenants: int, seed: int, records: int, canary_reps: int = 0):
    w = build_world(n_tenants, seed=seed, records_per_tenant=records)
    secret = f"bench-neural-{seed}".encode()
    corpora = []
    for t in w.tenants:
        train, hold = split_train_holdout(w.datasets[t.id])
        can = make_canaries(secret, t.id)
        if canary_reps:  # the lever measured for LoRA at 1-2%: no canary planted fewer than `canary_reps` times
            can = [replace(c, repetitions=max(c.repetitions, canary_reps)) for c in can]
        corpora.append(TenantCorpus(t.id, tuple(train + canary_records(can)), tuple(hold), tuple(can),
                                    tuple(make_canaries(secret, t.id, reference=True)), t.system_prompt))
    return w, tuple(corpora)


class NGramFamily:
    def __init__(self, w, workdir: Path):
        from tenantguard.models.adapter import NGramTenantModel
        from tenantguard.models.ngram import NGramLM

        self._wrap = NGramTenantModel
        self.base_lm = NGramLM().fit(w.base_corpus)
        self.base = NGramTenantModel(self.base_lm, "base")

    def tune(self, texts, seed: int):
        return self._wrap(self.base_lm.finetune(texts), "candidate")

    def reference(self, candidate):
        return self.base


class HFFamily:
    """The tiny GPT-2 base of this world (trained once, kept under workdir) and its hf-lora / hf-full tunes."""

    def __init__(self, w, workdir: Path, kind: str, world_seed: int):
        from tenantguard.config import HFSettings
        from tenantguard.models import hf_checkpoint
        from tenantguard.models.hf_adapter import HFTenantModel
        from tenantguard.models.hf_lm import quiet

        quiet()
        self.kind, self.hf, self._ckpt, self._wrap = kind, HFSettings(), hf_checkpoint, HFTenantModel
        self.base_dir = workdir / f"hf-base-w{world_seed}"
        if not (self.base_dir / "config.json").is_file():
            t0 = time.perf_counter()
            hf_checkpoint.train_tiny_base(list(w.base_corpus), self.hf, self.base_dir)
            print(f"trained the tiny base of world {world_seed} in {time.perf_counter() - t0:.0f} s", flush=True)
        self.base = self._model(self._load("base"), "base")

    def _load(self, name):
        return self._ckpt.load(self.base_dir, max_tokens_per_batch=self.hf.max_tokens_per_batch, name=name)

    def _model(self, lm, kind):
        return self._wrap(SimpleNamespace(lm=lm, kind=kind), lm.name)

    def tune(self, texts, seed: int):
        from tenantguard.models.hf_lm import HFLM, fit
        from tenantguard.models.hf_tuner import _with_lora

        lm = self._load("candidate")
        lora = self.kind == "hf-lora"
        model = _with_lora(lm.model, self.hf) if lora else lm.model
        tuned = HFLM(model, lm.tokenizer, max_tokens_per_batch=self.hf.max_tokens_per_batch, name="candidate",
                     reference=None if lora else self.base.lm)
        fit(tuned, texts, epochs=self.hf.epochs, lr=self.hf.lr, seed=seed)
        return self._model(tuned, "lora" if lora else "full")

    def reference(self, candidate):
        from tenantguard.models.reference import reference_for

        return reference_for(candidate, self.base)


def family(kind: str, w, workdir: Path, world_seed: int):
    return NGramFamily(w, workdir) if kind == "ngram" else HFFamily(w, workdir, kind, world_seed)


def run(args) -> None:
    from tenantguard.home.score_cache import ScoreCache
    from tenantguard.models.cached import CachedReference

    world_seed, trial0 = SPLITS[args.split]
    w, corpora = world(args.tenants, world_seed, args.records, args.canary_reps)
    by = {c.tenant_id: c for c in corpora}
    ids = list(by)
    index = build_index(IsolationInputs(corpora, ids[0], tuple(w.base_corpus)))
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    out = open(args.out, "a")
    rates = [float(x) for x in args.rates.split(",")]
    for kind in args.kinds.split(","):
        fam = family(kind, w, workdir, world_seed)
        cache = ScoreCache(workdir / f"cache-{kind}-w{world_seed}-r{args.canary_reps}.sqlite", b"bench")
        for trial in range(args.first_trial, args.first_trial + args.trials):
            rng = np.random.default_rng(trial0 + trial)
            i, j = (ids[k] for k in rng.choice(len(ids), 2, replace=False))
            inp = IsolationInputs(corpora, j, tuple(w.base_corpus))
            for x in RATES:
                src = by[i].train
                n = int(round(x * len(src)))
                leaked = [src[k] for k in rng.choice(len(src), n, replace=False)] if n else []
                if x not in rates:
                    continue  # the draws above keep every rate's leak the same whichever rates run
                t0 = time.perf_counter()
                cand = fam.tune([record_text(r) for r in (*by[j].train, *leaked)], seed=trial)
                t_tune = time.perf_counter() - t0
                ref = CachedReference(fam.reference(cand), cache)
                rep = audit_isolation(cand, inp, base=ref, index=index,
                                      config=AuditConfig(null_size=1000, n_boot=100, seed=trial))
                row = next(s for s in rep.sources if s.source_tenant == i)
                cell = {"split": args.split, "kind": kind, "canary_reps": args.canary_reps, "trial": trial, "x": x,
                        "n_leaked": n, "leaked_canary_records": sum(map(is_canary_record, leaked)),
                        "source": i, "target": j, "verdict": rep.verdict, "detected": i in rep.failed_sources,
                        "failed_sources": rep.failed_sources, "decided_by": list(row.decided_by),
                        "false_decided_by": [list(s.decided_by) for s in rep.sources if s.verdict == "failed"
                                             and s.source_tenant != i],
                        "composed_hits": row.composed_hits, "errors": list(rep.errors)[:2],
                        "tune_s": round(t_tune, 2), "audit_s": round(rep.elapsed_s, 2)}
                out.write(json.dumps(cell) + "\n")
                out.flush()
                print(f"{kind} trial {trial} x={x:.0%}: {'DETECTED' if cell['detected'] else rep.verdict} "
                      f"{cell['decided_by'] or rep.failed_sources} (tune {t_tune:.0f} s, audit {rep.elapsed_s:.0f} s)",
                      flush=True)
    out.close()
    report([args.out])


def report(paths) -> None:
    cells = [json.loads(line) for p in paths for line in open(p) if line.strip()]
    groups: dict[tuple, list] = defaultdict(list)
    for c in cells:
        groups[(c["split"], c["kind"], c.get("canary_reps", 0))].append(c)
    for (split, kind, reps), cs in sorted(groups.items()):
        by_x: dict[float, list] = defaultdict(list)
        for c in cs:
            by_x[c["x"]].append(c)
        head = f"{split}{' (SEALED)' if split == 'sealed' else ''} {kind}" + (f" canary reps>={reps}" if reps else "")
        print(f"\n{head}: detection of source i (x=0: false alarms, any source) over seeded trials")
        print("".join(f"{f'x={x:.0%}':>14}" for x in sorted(by_x)))
        line = ""
        for x in sorted(by_x):
            xs = by_x[x]
            hit = sum(c["detected"] for c in xs) if x > 0 else sum(c["verdict"] == "failed" for c in xs)
            err = sum(c["verdict"] == "error" for c in xs)
            line += f"{('FA ' if x == 0 else '') + f'{hit}/{len(xs)}' + (f' !{err}' if err else ''):>14}"
        print(line)
        carried = Counter(t for c in cs if c["x"] > 0 and c["detected"] for t in c["decided_by"])
        only = Counter(c["decided_by"][0] for c in cs if c["x"] > 0 and len(c["decided_by"]) == 1)
        print(f"  carried by (tests failing source i, over detections): {dict(carried.most_common())}")
        print(f"  the only test that fired: {dict(only.most_common())}")
        # at x = 0 source i holds nothing either: every failed source is a false alarm
        fa = Counter(t for c in cs for d in c["false_decided_by"] + ([c["decided_by"]] if c["x"] == 0 else [])
                     for t in d)
        if fa:
            print(f"  wrongly failed sources' tests: {dict(fa.most_common())}")
        print(f"  median tune {np.median([c['tune_s'] for c in cs]):.1f} s, median audit "
              f"{np.median([c['audit_s'] for c in cs]):.1f} s ({len(cs)} cells)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--split", choices=sorted(SPLITS), default="tuning")
    ap.add_argument("--kinds", default=",".join(KINDS))
    ap.add_argument("--rates", default=",".join(str(x) for x in RATES))
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--first-trial", type=int, default=0)
    ap.add_argument("--tenants", type=int, default=6)
    ap.add_argument("--records", type=int, default=300)
    ap.add_argument("--canary-reps", type=int, default=0)
    ap.add_argument("--workdir", default="/tmp/tg-bench-neural")
    ap.add_argument("--out", default="/tmp/tg-bench-neural/power.jsonl")
    ap.add_argument("--report", nargs="*", default=None, help="print the tables of these JSON-lines files and exit")
    args = ap.parse_args()
    if args.report is not None:
        report(args.report or [args.out])
        return
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    run(args)


if __name__ == "__main__":
    main()

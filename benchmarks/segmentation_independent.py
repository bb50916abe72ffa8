"""Segmentation audits from a home, on platforms whose data was generated independently of the demo
(benchmarks/independent_worlds.py), with and without a base corpus: is every variant judged right?

Per seed: a fresh home (tenants.yaml, each tenant's dataset, a base corpus or none), the demo platform's
adapters serving THAT home's documents (correct, misconfigured, misconfigured-prompt-filter; the adapter code
is the demo's, the tenants, documents, phrasing and id formats are not), a few requests per tenant served
through the variant's retriever into its inference log, then `run_from_home` as `tenantguard segmentation
audit` runs it. Expected verdicts: correct passes all four audits; misconfigured fails rag_boundary,
memory_isolation and tool_scope (its post-filter retriever hands the model no foreign document: its
contexts pass); the prompt-filter variant fails rag_boundary and context_contamination. A home with no
datasets must report context_contamination not run.

Usage: python benchmarks/segmentation_independent.py [--split tuning|sealed] [--worlds N]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from independent_worlds import SEALED_SEEDS, TUNING_SEEDS, build  # noqa: E402

EXPECTED = {
    "correct": dict.fromkeys(("rag_boundary", "memory_isolation", "tool_scope", "context_contamination"), "passed"),
    "misconfigured": {"rag_boundary": "failed", "memory_isolation": "failed", "tool_scope": "failed",
                      "context_contamination": "passed"},
    "misconfigured-prompt-filter": {"rag_boundary": "failed", "context_contamination": "failed"},
}


def write_home(home: Path, world, *, base: bool) -> None:
    from tenantguard.tenants import dump_tenants

    home.mkdir(parents=True)
    for tid, records in world.v1.items():
        d = home / "datasets" / tid
        d.mkdir(parents=True)
        (d / "v0001.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    if base:
        (home / "base_corpus.jsonl").write_text("".join(json.dumps({"text": t}) + "\n" for t in world.base_corpus))
    dump_tenants(world.tenants, home / "tenants.yaml")


def judge(home: Path) -> dict[str, dict[str, str]]:
    from tenantguard.config import Settings
    from tenantguard.demo.platform.showcase import VARIANTS, serve_requests, variant_settings, write_variant
    from tenantguard.evaluations.segmentation.config_file import load_config
    from tenantguard.gates.segmentation import run_from_home

    os.environ["TENANTGUARD_HOME"] = str(home)  # the adapters' factories read their home from it
    settings = Settings.from_env()
    out = {}
    for name in VARIANTS:
        path = write_variant(settings, name)
        served = variant_settings(settings, name)
        cursor = serve_requests(served, VARIANTS[name]["retriever"])
        kinds = list(EXPECTED[name])
        reports = run_from_home(served, config=load_config(path), kinds=kinds, seed=5, log_after_id=cursor)
        out[name] = {r.kind: r.verdict for r in reports}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", choices=("tuning", "sealed"), default="sealed")
    ap.add_argument("--worlds", type=int, default=6)
    args = ap.parse_args()
    os.environ.setdefault("TENANTGUARD_SECRET", "segmentation-independent-benchmark")
    seeds = list(TUNING_SEEDS if args.split == "tuning" else SEALED_SEEDS)[:args.worlds]
    right = total = 0
    wrong: list[str] = []
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for seed in seeds:
            world = build(seed, records=60)
            for base in (True, False):
                home = Path(tmp) / f"{seed}-{'base' if base else 'nobase'}"
                write_home(home, world, base=base)
                for variant, verdicts in judge(home).items():
                    for kind, verdict in verdicts.items():
                        total += 1
                        ok = verdict == EXPECTED[variant][kind]
                        right += ok
                        if not ok:
                            wrong.append(f"seed {seed} base={base} {variant}/{kind}: {verdict}")
            bare = Path(tmp) / f"{seed}-nodata"
            write_home(bare, world, base=False)
            for d in (bare / "datasets").iterdir():
                for f in d.iterdir():
                    f.unlink()
            os.environ["TENANTGUARD_HOME"] = str(bare)
            from tenantguard.config import Settings
            from tenantguard.gates.segmentation import run_from_home

            (ctx,) = run_from_home(Settings.from_env(), kinds=["context_contamination"], seed=5)
            total += 1
            right += ctx.verdict == "not_run"
            if ctx.verdict != "not_run":
                wrong.append(f"seed {seed} no datasets: context_contamination {ctx.verdict}")
    print(f"segmentation audits on {len(seeds)} independent platforms ({args.split} seeds {seeds[0]}..{seeds[-1]}), "
          f"each with and without a base corpus, 3 variants, plus a home without datasets: "
          f"{right}/{total} verdicts as expected, {time.perf_counter() - t0:.0f} s")
    for line in wrong:
        print(f"  wrong: {line}")


if __name__ == "__main__":
    main()

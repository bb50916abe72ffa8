"""Segmentation audits on the demo platform over seeded worlds: is every planted misconfiguration found,
and do the correct variants pass with zero findings?

    .venv/bin/python benchmarks/segmentation_detection.py --quick      # 20 seeds x 5 tenants
    .venv/bin/python benchmarks/segmentation_detection.py              # 20 seeds x 8 tenants
"""
from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from tenantguard.demo.platform.inputs import world_inputs
from tenantguard.demo.platform.memory import DemoSessionStore
from tenantguard.demo.platform.retriever import DemoRetriever
from tenantguard.demo.platform.tools import DemoToolSet
from tenantguard.demo.world import build_world
from tenantguard.evaluations.segmentation.adapters import Factory, SegmentationConfig
from tenantguard.evaluations.segmentation.runner import AuditSettings, run_audits

# (variant, audit kind, planted bug?)
CASES = (
    ("postfilter retriever", "rag_boundary", True), ("prompt-filter retriever", "rag_boundary", True),
    ("prompt-filter contexts", "context_contamination", True), ("tenant-less cache key", "memory_isolation", True),
    ("shared-scope tool", "tool_scope", True),
    ("prefilter retriever", "rag_boundary", False), ("prefilter contexts", "context_contamination", False),
    ("tenant-keyed cache", "memory_isolation", False), ("tenant-scoped tools", "tool_scope", False),
)


def _components(variant: str, docs, workdir: Path):
    return {
        "postfilter retriever": ("retriever", lambda: DemoRetriever(docs, mode="postfilter")),
        "prompt-filter retriever": ("retriever", lambda: DemoRetriever(docs, mode="prompt")),
        "prefilter retriever": ("retriever", lambda: DemoRetriever(docs, mode="prefilter")),
        "tenant-less cache key": ("memory", lambda: DemoSessionStore(workdir / "bad.db", tenant_in_cache_key=False)),
        "tenant-keyed cache": ("memory", lambda: DemoSessionStore(workdir / "good.db", tenant_in_cache_key=True)),
        "shared-scope tool": ("tools", lambda: DemoToolSet(docs, shared_ticket_tool=True)),
        "tenant-scoped tools": ("tools", lambda: DemoToolSet(docs, shared_ticket_tool=False)),
    }.get(variant)


def _contexts(world, docs, mode: str) -> dict[str, list[dict]]:
    r = DemoRetriever(docs, mode=mode)
    rows: dict[str, list[dict]] = {}
    for t in world.tenants:
        qs = [d["text"].split("\n")[0] for d in docs[t.id][-3:]] or ["what are your opening hours?"]
        rows[t.id] = [{"id": i, "ts": "2026-01-01T00:00:00Z", "prompt": r.prompt_context(t.id, t.system_prompt, q)}
                      for i, q in enumerate(qs)]
    return rows


def run(seeds: int, n_tenants: int) -> list[dict]:
    stats = {c: {"runs": 0, "detected": 0, "findings": 0, "not_passed": 0, "s": 0.0} for c in CASES}
    for seed in range(seeds):
        world = build_world(n_tenants, seed=100 + seed, records_per_tenant=40)
        base_inputs, docs = world_inputs(world, b"bench-secret")
        with tempfile.TemporaryDirectory() as tmp:
            for case in CASES:
                variant, kind, planted = case
                inputs = base_inputs
                comp = _components(variant, docs, Path(tmp))
                factories = {}
                if comp:
                    key, fn = comp
                    factories[key] = Factory(key, f"bench:{variant}", fn)
                else:
                    rows = _contexts(world, docs, "prompt" if variant.startswith("prompt") else "prefilter")
                    inputs = replace(inputs, log_rows=lambda tid, rows=rows: rows[tid])
                t0 = time.perf_counter()
                report = run_audits(inputs, SegmentationConfig(path=None, factories=factories),
                                    [t.id for t in world.tenants], kinds=[kind], settings=AuditSettings(seed=seed))[0]
                s = stats[case]
                s["runs"] += 1
                s["s"] += time.perf_counter() - t0
                s["detected"] += report.verdict == "failed"
                s["findings"] += report.n_findings
                s["not_passed"] += report.verdict != "passed"
    rows = []
    for (variant, kind, planted), s in stats.items():
        rows.append({"variant": variant, "audit": kind, "planted": planted, "runs": s["runs"],
                     "found": s["detected"], "findings": s["findings"], "not_passed": s["not_passed"],
                     "mean_s": s["s"] / max(s["runs"], 1)})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--seeds", type=int, default=20)
    args = ap.parse_args()
    n = 5 if args.quick else 8
    rows = run(args.seeds, n)
    print(f"demo platform, {args.seeds} seeded worlds x {n} tenants (last tenant holds no documents)\n")
    print(f"{'variant':<26} {'audit':<22} {'bug':<4} {'caught':>9} {'findings':>9} {'not passed':>11} {'s/run':>7}")
    ok = True
    for r in rows:
        caught = f"{r['found']}/{r['runs']}"
        print(f"{r['variant']:<26} {r['audit']:<22} {'yes' if r['planted'] else 'no':<4} {caught:>9} "
              f"{r['findings']:>9} {r['not_passed']:>11} {r['mean_s']:>7.2f}")
        ok &= (r["found"] == r["runs"]) if r["planted"] else (r["findings"] == 0 and r["not_passed"] == 0)
    print(f"\nevery planted misconfiguration found and correct variants clean in every run: {'YES' if ok else 'NO'}")


if __name__ == "__main__":
    main()

"""Time to prepare and tune every tenant of the demo world, one process, in-process executor.

    python benchmarks/prepare_and_tune.py [--quick] [--sizes 5,50,200] [--records 300] [--gates]

For each size: a fresh home with the demo world, one real Dagster instance (SQLite) and a SQLite MLflow
store; base_job once, then `tune_and_gate` per tenant partition. By default only the foundation's slice
of the job runs (finetune_dataset -> candidate_model: prepare, validate, tune, register); `--gates` runs
the whole job (isolation, behavior, promotion too). The table shows whether the cost per tenant stays flat
as tenants grow. The breakdown wraps the library functions with timers (no effect on what runs); tune and
model log are the default n-gram tuner's steps (the benchmark clears TENANTGUARD_TUNER).
"""
from __future__ import annotations

import argparse
import contextlib
import functools
import io
import json
import logging
import os
import shutil
import sys
import tempfile
import time
import warnings
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TIMERS: dict[str, float] = defaultdict(float)


def _timed(owner, attr: str, label: str) -> None:
    fn = getattr(owner, attr)

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        t0 = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            TIMERS[label] += time.perf_counter() - t0

    setattr(owner, attr, wrapper)


def install_timers() -> None:
    """prepare = read + validate (incl. GX) + split + plant + write; gx is the validation part of it."""
    from tenantguard.gates import datasets, tune
    from tenantguard.home import prepare
    from tenantguard.models import ngram_tuner
    from tenantguard.registry import client

    _timed(prepare, "validate_lines", "validate (GX)")
    _timed(datasets, "prepare_dataset", "prepare")
    _timed(datasets, "log_prepared_dataset", "mlflow dataset log")
    _timed(ngram_tuner, "finetune", "tune")
    _timed(ngram_tuner, "log_ngram_model", "mlflow model log")
    _timed(client.Registry, "register", "mlflow register")
    _timed(tune, "register_candidate", "candidate total")


def write_world(settings, n: int, records: int, seed: int) -> None:
    from tenantguard.demo.run import DATASET_VERSION
    from tenantguard.demo.world import build_world
    from tenantguard.tenants import dump_tenants

    world = build_world(n, seed=seed, records_per_tenant=records)
    settings.ensure_home()
    for tid, recs in world.datasets.items():
        d = settings.datasets_root / tid
        d.mkdir(parents=True, exist_ok=True)
        (d / f"{DATASET_VERSION}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in recs))
    settings.base_corpus_path.write_text("".join(json.dumps({"text": t}) + "\n" for t in world.base_corpus))
    dump_tenants(world.tenants, settings.tenants_file)


def run_size(n: int, *, records: int, seed: int, gates: bool) -> dict:
    from dagster import AssetKey, DagsterInstance

    from tenantguard.config import Settings
    from tenantguard.demo.execution import QUIET_RUN_CONFIG
    from tenantguard.pipelines.definitions import defs
    from tenantguard.sensors.tenant_sync import sync_partitions
    from tenantguard.tenants import load_tenants

    root = Path(tempfile.mkdtemp(prefix=f"tg-bench-{n}-"))
    os.environ.pop("MLFLOW_TRACKING_URI", None)  # mlflow.set_tracking_uri exported the previous size's store
    os.environ["TENANTGUARD_HOME"] = str(root / "home")
    os.environ["DAGSTER_HOME"] = str(root / "home" / "dagster")
    settings = Settings.from_env()
    write_world(settings, n, records, seed)
    ids = [t.id for t in load_tenants(settings.tenants_file)]
    selection = None if gates else [AssetKey("finetune_dataset"), AssetKey("candidate_model")]
    job = defs.resolve_job_def("tune_and_gate")
    sink = io.StringIO()
    with DagsterInstance.get() as instance:
        sync_partitions(instance, ids, page_size=len(ids))
        t0 = time.perf_counter()
        with contextlib.redirect_stderr(sink), contextlib.redirect_stdout(sink):
            ok = defs.resolve_job_def("base_job").execute_in_process(
                instance=instance, run_config=QUIET_RUN_CONFIG, raise_on_error=False).success
        base_s = time.perf_counter() - t0
        assert ok, "base_job failed"
        TIMERS.clear()
        failed, per = [], []
        t0, c0 = time.perf_counter(), time.process_time()
        for tid in ids:
            ts = time.perf_counter()
            with contextlib.redirect_stderr(sink), contextlib.redirect_stdout(sink):
                res = job.execute_in_process(instance=instance, partition_key=tid, run_config=QUIET_RUN_CONFIG,
                                             raise_on_error=False, asset_selection=selection)
            per.append(time.perf_counter() - ts)
            if not res.success:
                failed.append(tid)
        total, cpu = time.perf_counter() - t0, time.process_time() - c0
    shutil.rmtree(root, ignore_errors=True)
    if failed:
        print(f"  !! {len(failed)} tenant run(s) failed: {failed[:5]}", file=sys.stderr)
    k = max(1, len(per) // 10)
    return {"tenants": n, "total": total, "per": total / n, "cpu_per": cpu / n, "base": base_s, "first10": sum(per[:k]) / k,
            "last10": sum(per[-k:]) / k, "timers": dict(TIMERS), "failed": len(failed)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="sizes 5,20,50")
    ap.add_argument("--sizes", default=None, help="comma-separated tenant counts (default 5,50,200)")
    ap.add_argument("--records", type=int, default=300, help="records per tenant (demo default 300)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--gates", action="store_true", help="run the whole tune_and_gate job, not just prepare+tune")
    args = ap.parse_args()
    sizes = [int(x) for x in (args.sizes or ("5,20,50" if args.quick else "5,50,200")).split(",")]

    for var in ("MLFLOW_TRACKING_URI", "TENANTGUARD_TENANTS", "TENANTGUARD_DATASETS", "TENANTGUARD_TUNER"):
        os.environ.pop(var, None)
    os.environ.setdefault("TENANTGUARD_SECRET", "benchmark-secret-c2145564714ad660dfc7b06f6acec6b6ce48c3de91170954ad20eec6880a9125")
    for var, val in (("MLFLOW_DISABLE_TELEMETRY", "true"), ("DAGSTER_DISABLE_TELEMETRY", "1"),
                     ("DO_NOT_TRACK", "1"), ("GX_ANALYTICS_ENABLED", "false"),
                     ("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")):
        os.environ.setdefault(var, val)
    warnings.filterwarnings("ignore")
    for name in ("mlflow", "alembic", "dagster", "great_expectations", "evidently", "urllib3"):
        logging.getLogger(name).setLevel(logging.ERROR)
    install_timers()
    # Warm-up (imports of GX, MLflow, evidently; first SQLite schema setup) so the smallest size is not
    # charged for one-time costs.
    with contextlib.redirect_stderr(io.StringIO()):
        run_size(1, records=20, seed=args.seed, gates=args.gates)

    what = "whole tune_and_gate" if args.gates else "finetune_dataset + candidate_model"
    print(f"prepare and tune, {what}, {args.records} records/tenant, in-process executor, one instance per size")
    rows = []
    for n in sizes:
        t0 = time.perf_counter()
        r = run_size(n, records=args.records, seed=args.seed, gates=args.gates)
        rows.append(r)
        print(f"  {n} tenants done in {time.perf_counter() - t0:.1f}s (base {r['base']:.1f}s)", flush=True)

    ref = rows[0]["per"]
    print()
    print(f"{'tenants':>7}  {'total s':>8}  {'s/tenant':>8}  {'ratio':>5}  {'cpu s/tenant':>12}  "
          f"{'first10% s':>10}  {'last10% s':>9}")
    for r in rows:
        print(f"{r['tenants']:>7}  {r['total']:>8.1f}  {r['per']:>8.3f}  {r['per'] / ref:>5.2f}  {r['cpu_per']:>12.3f}  "
              f"{r['first10']:>10.3f}  {r['last10']:>9.3f}")
    print("(ratio: s/tenant vs the smallest size; cpu s/tenant is this process's CPU time, robust to a busy machine;"
          " first/last 10%: mean s per tenant run at the start and end of the size)")
    labels = ["prepare", "validate (GX)", "mlflow dataset log", "tune", "mlflow model log", "mlflow register",
              "candidate total"]
    print("\nbreakdown, seconds per tenant (validate is inside prepare; tune/log/register inside candidate total;")
    print("the rest of a run is Dagster: run/step bookkeeping, event log, resource and tenants.yaml loading)")
    print(f"{'tenants':>7}  " + "  ".join(f"{lbl:>{max(8, len(lbl))}}" for lbl in labels) + f"  {'dagster+other':>13}")
    for r in rows:
        t = r["timers"]
        accounted = t.get("prepare", 0) + t.get("mlflow dataset log", 0) + t.get("candidate total", 0)
        cells = "  ".join(f"{t.get(lbl, 0) / r['tenants']:>{max(8, len(lbl))}.3f}" for lbl in labels)
        print(f"{r['tenants']:>7}  {cells}  {(r['total'] - accounted) / r['tenants']:>13.3f}")
    if any(r["failed"] for r in rows):
        sys.exit(1)


if __name__ == "__main__":
    main()

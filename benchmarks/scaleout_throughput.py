"""Tenants evaluated per minute: in process vs 1, 2, 4 celery workers (Dagster + MLflow on PostgreSQL, Redis
broker), at 20 and 200 tenants, and where the time goes (process start + imports, MLflow I/O, evaluation).

    python benchmarks/scaleout_throughput.py            # 20 and 200 tenants; 1, 2, 4 workers (long: ~hours on 2 cores)
    python benchmarks/scaleout_throughput.py --quick    # 4 and 8 tenants; 1 and 2 workers

Needs PostgreSQL and Redis on loopback (see tests/scaleout/services.py). Prints tables with ratios.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "scaleout")]
from conftest import write_small_world  # noqa: E402
from services import (celery_workers, flush_redis_db, fresh_database, launch_runs, missing_services,  # noqa: E402
                      service_env, write_dagster_home)

SECRET = "bench-secret"
# Steps by where their time mostly goes: MLflow registry/artifact I/O vs evaluation compute.
STEP_KIND = {"finetune_dataset": "dataset prep + MLflow dataset log", "candidate_model": "tune + MLflow register",
             "isolation_report": "isolation evaluation", "behavior_report": "behavior evaluation",
             "champion_model": "promotion (MLflow aliases)"}


def import_cost(n: int = 3) -> dict[str, float]:
    """Seconds a fresh process spends importing: the code location alone, and with the heavy libraries."""
    out = {}
    for label, mods in (("code location", "tenantguard.pipelines.celery_definitions"),
                        ("+ mlflow, evidently, GX, sklearn", "tenantguard.pipelines.celery_definitions, mlflow, "
                         "evidently, great_expectations, sklearn")):
        times = []
        for _ in range(n):
            t = time.perf_counter()
            subprocess.run([sys.executable, "-c", f"import {mods}"], check=True, capture_output=True)
            times.append(time.perf_counter() - t)
        out[label] = sorted(times)[len(times) // 2]
    return out


def step_seconds(instance, run_ids) -> dict[str, float]:
    from dagster import DagsterEventType

    started, total = {}, defaultdict(float)
    for rid in run_ids:
        for rec in instance.all_logs(rid):
            ev = rec.dagster_event
            if ev is None or not ev.step_key:
                continue
            if ev.event_type == DagsterEventType.STEP_START:
                started[(rid, ev.step_key)] = rec.timestamp
            elif ev.event_type in (DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE):
                total[ev.step_key] += rec.timestamp - started.get((rid, ev.step_key), rec.timestamp)
    return dict(total)


def run_celery(n_tenants: int, workers: int, tmp: Path) -> dict:
    from dagster import DagsterInstance, execute_job, reconstructable

    from tenantguard.config import Settings
    from tenantguard.models.registry import Registry
    from tenantguard.pipelines import celery_definitions
    from tenantguard.sensors.tenant_sync import sync_partitions

    home = tmp / "home"
    ids = [t.id for t in write_small_world(Settings.from_env({"TENANTGUARD_HOME": str(home)}),
                                           n_tenants=n_tenants).tenants]
    with fresh_database("tg_bench_dagster") as dagster_url, fresh_database("tg_bench_mlflow") as mlflow_url:
        env = service_env(home=home, dagster_home=write_dagster_home(tmp / "dagster_home"),
                          dagster_pg_url=dagster_url, mlflow_uri=mlflow_url, redis_db=13, secret=SECRET)
        os.environ.update(env)
        os.chdir(home)
        flush_redis_db(env["DAGSTER_CELERY_BROKER_URL"])
        Registry(mlflow_url).check_reachable()
        with DagsterInstance.get() as instance, celery_workers(workers, env, tmp / "workers"):
            sync_partitions(instance, ids, page_size=len(ids))
            assert execute_job(reconstructable(celery_definitions.base_job), instance).success
            t = time.perf_counter()
            run_ids = launch_runs(ids, env, tmp / "runs", parallel=workers + 2)
            wall = time.perf_counter() - t
            steps = step_seconds(instance, run_ids.values())
    return {"wall": wall, "steps": steps, "runs": len(ids)}


def run_in_process(n_tenants: int, tmp: Path) -> dict:
    from dagster import DagsterInstance

    from tenantguard.config import Settings
    from tenantguard.pipelines.definitions import defs
    from tenantguard.sensors.tenant_sync import sync_partitions

    home = tmp / "home"
    for var in ("MLFLOW_TRACKING_URI", "DAGSTER_HOME", "DAGSTER_PG_URL"):
        os.environ.pop(var, None)
    os.environ.update({"TENANTGUARD_HOME": str(home), "TENANTGUARD_SECRET": SECRET})
    settings = Settings.from_env()
    ids = [t.id for t in write_small_world(settings, n_tenants=n_tenants).tenants]
    with DagsterInstance.from_config(str(settings.dagster_home)) as instance:
        sync_partitions(instance, ids, page_size=len(ids))
        assert defs.resolve_job_def("base_job").execute_in_process(instance=instance).success
        job = defs.resolve_job_def("tune_and_gate")
        t = time.perf_counter()
        run_ids = [job.execute_in_process(instance=instance, partition_key=tid, raise_on_error=False).run_id
                   for tid in ids]
        wall = time.perf_counter() - t
        steps = step_seconds(instance, run_ids)
    return {"wall": wall, "steps": steps, "runs": len(ids)}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    reason = missing_services()
    if reason:
        print(f"skipped: {reason}")
        return 0
    counts, worker_counts = ((4, 8), (1, 2)) if args.quick else ((20, 200), (1, 2, 4))
    imports = import_cost()
    print("import cost of a fresh process (median of 3)")
    for k, v in imports.items():
        print(f"  {k:<34} {v:6.2f} s")
    results = {}
    cwd = os.getcwd()
    for n in counts:
        configs = [("in-process", None)] + [(f"celery x{w}", w) for w in worker_counts]
        for label, w in configs:
            with tempfile.TemporaryDirectory(prefix="tg-bench-") as d:
                try:
                    results[(label, n)] = run_in_process(n, Path(d)) if w is None else run_celery(n, w, Path(d))
                finally:
                    os.chdir(cwd)
            r = results[(label, n)]
            print(f"  ... {label:<11} {n:>4} tenants: {r['wall']:7.1f} s", flush=True)
    print(f"\ntenants evaluated per minute (nproc={os.cpu_count()}; ratio vs in-process at the same count)")
    print(f"{'config':<12}" + "".join(f"{f'{n} tenants':>16}{'ratio':>8}" for n in counts))
    for label in ["in-process"] + [f"celery x{w}" for w in worker_counts]:
        row = f"{label:<12}"
        for n in counts:
            r, base = results[(label, n)], results[("in-process", n)]
            tpm = 60 * n / r["wall"]
            row += f"{tpm:16.1f}{tpm / (60 * n / base['wall']):8.2f}"
        print(row)
    print(f"\ngrowth {counts[0]} -> {counts[1]} tenants: seconds per tenant (x{counts[1] // counts[0]} tenants)")
    for label in ["in-process"] + [f"celery x{w}" for w in worker_counts]:
        a, b = (results[(label, n)]["wall"] / n for n in counts)
        print(f"  {label:<12} {a:6.2f} -> {b:6.2f} s/tenant  (x{b / a:.2f})")
    print("\nwhere the time goes: step seconds per tenant (sum over steps; celery steps include worker I/O)")
    print(f"{'config':<12}{'tenants':>8}" + "".join(f"{k[:22]:>24}" for k in STEP_KIND) + f"{'run overhead':>14}")
    for (label, n), r in results.items():
        per = {k: r["steps"].get(k, 0.0) / n for k in STEP_KIND}
        overhead = r["wall"] / n * (1 if label == "in-process" else int(label.split("x")[1])) - sum(per.values())
        print(f"{label:<12}{n:>8}" + "".join(f"{per[k]:24.2f}" for k in STEP_KIND) + f"{overhead:14.2f}")
    print("run overhead = worker-seconds per tenant not inside a step (process start + imports of each "
          "`dagster job execute`, celery hand-off, event writes).")
    return 0


if __name__ == "__main__":
    sys.exit(main())

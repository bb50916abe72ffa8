"""Tenants evaluated per minute: in process vs 1, 2, 4 celery workers (Dagster + MLflow on PostgreSQL, Redis
broker), one tenant per run vs a batch of tenants per run (the backfill policy, TENANTGUARD_TENANTS_PER_RUN),
in a world of 20 and of 200 tenants, and where the time goes (process start + imports, MLflow I/O, evaluation).

    python benchmarks/scaleout_throughput.py            # worlds of 20 and 200 tenants, 10 evaluated; ~31 min here
    python benchmarks/scaleout_throughput.py --quick    # worlds of 4 and 8 tenants, all evaluated; 1 and 2 workers

In the 200-tenant world every evaluation audits the candidate against all 199 other tenants and the platform
holds 200 partitions, so a sample of 10 tenants shows how the cost of one tenant grows with the world;
evaluating all 200 would take hours on 2 cores and tell nothing more per tenant.
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
from services import (celery_workers, flush_redis_db, fresh_database, launch_runs, missing_services, service_env,  # noqa: E402
                      write_dagster_home)

SECRET = "bench-secret-0159438a9235d6abde38e49fb98944660d067d6b9b03d8a8f4ee4e522feb62cb"
# Steps by where their time mostly goes: MLflow registry/artifact I/O vs evaluation compute.
STEP_KIND = {"finetune_dataset": "dataset prep + MLflow dataset log", "candidate_model": "tune + MLflow register",
             "isolation_report": "isolation evaluation", "behavior_report": "behavior evaluation",
             "champion_model": "promotion (MLflow aliases)"}


def import_cost(n: int = 3) -> dict[str, float]:
    """Seconds a fresh process spends loading the code location (import + build), alone and with the heavy
    libraries."""
    out = {}
    load = "import tenantguard.pipelines.celery_definitions as c; c.location()"
    for label, code in (("code location", load),
                        ("+ mlflow, evidently, GX, sklearn", f"{load}; import mlflow, evidently, great_expectations, "
                         "sklearn")):
        times = []
        for _ in range(n):
            t = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
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


def run_celery(n_tenants: int, sample: int, workers: int, per_run: int, tmp: Path) -> dict:
    from dagster import DagsterInstance, execute_job, reconstructable

    from tenantguard.config import Settings
    from tenantguard.pipelines import celery_definitions
    from tenantguard.registry.client import Registry
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
            run_ids = launch_runs(ids[:sample], env, tmp / "runs", parallel=workers + 2, per_run=per_run)
            wall = time.perf_counter() - t
            steps = step_seconds(instance, set(run_ids.values()))
    return {"wall": wall, "steps": steps, "runs": len(set(run_ids.values()))}


def run_in_process(n_tenants: int, sample: int, per_run: int, tmp: Path) -> dict:
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
        batches = [ids[i:i + per_run] for i in range(0, sample, per_run)]
        t = time.perf_counter()
        run_ids = [job.execute_in_process(instance=instance, raise_on_error=False, **(
            {"partition_key": b[0]} if len(b) == 1 else {"tags": {"dagster/asset_partition_range_start": b[0],
                                                                  "dagster/asset_partition_range_end": b[-1]}})).run_id
                   for b in batches]
        wall = time.perf_counter() - t
        steps = step_seconds(instance, run_ids)
    return {"wall": wall, "steps": steps, "runs": len(run_ids)}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--per-run", type=int, default=5, help="tenants per run in the batched rows (default 5)")
    args = ap.parse_args()
    reason = missing_services()
    if reason:
        print(f"skipped: {reason}")
        return 0
    worlds, sample, worker_counts = ((4, 8), None, (1, 2)) if args.quick else ((20, 200), 10, (1, 2, 4))
    k = args.per_run
    configs = ([("in-process", None, 1), (f"in-process, {k}/run", None, k)]
               + [(f"celery x{w}", w, 1) for w in worker_counts] + [(f"celery x{w}, {k}/run", w, k)
                                                                    for w in worker_counts])
    imports = import_cost()
    print("import cost of a fresh process (median of 3)")
    for name, v in imports.items():
        print(f"  {name:<34} {v:6.2f} s")
    results = {}
    cwd = os.getcwd()
    for n in worlds:
        m = sample or n
        for label, w, per_run in configs:
            with tempfile.TemporaryDirectory(prefix="tg-bench-") as d:
                try:
                    results[(label, n)] = (run_in_process(n, m, per_run, Path(d)) if w is None
                                           else run_celery(n, m, w, per_run, Path(d)))
                finally:
                    os.chdir(cwd)
            r = results[(label, n)] | {"evaluated": m, "workers": w or 1}
            results[(label, n)] = r
            print(f"  ... {label:<20} world {n:>4}: {m} tenants in {r['runs']:>2} runs, {r['wall']:7.1f} s",
                  flush=True)
    labels = [c[0] for c in configs]
    print(f"\ntenants evaluated per minute (nproc={os.cpu_count()}; {sample or 'all'} tenants evaluated per world; "
          "ratio vs in-process, one tenant per run, in the same world)")
    print(f"{'config':<22}" + "".join(f"{f'world {n}':>14}{'ratio':>8}" for n in worlds))
    for label in labels:
        row = f"{label:<22}"
        for n in worlds:
            r, base = results[(label, n)], results[("in-process", n)]
            tpm, base_tpm = 60 * r["evaluated"] / r["wall"], 60 * base["evaluated"] / base["wall"]
            row += f"{tpm:14.1f}{tpm / base_tpm:8.2f}"
        print(row)
    print(f"\ngrowth from a world of {worlds[0]} to {worlds[1]} tenants: seconds per evaluated tenant")
    for label in labels:
        a, b = (results[(label, n)]["wall"] / results[(label, n)]["evaluated"] for n in worlds)
        print(f"  {label:<22} {a:6.2f} -> {b:6.2f} s/tenant  (x{b / a:.2f})")
    print("\nwhere the time goes: step seconds per tenant (celery steps include worker I/O)")
    print(f"{'config':<22}{'world':>6}" + "".join(f"{name[:22]:>24}" for name in STEP_KIND) + f"{'run overhead':>14}")
    for (label, n), r in results.items():
        per = {name: r["steps"].get(name, 0.0) / r["evaluated"] for name in STEP_KIND}
        overhead = r["wall"] / r["evaluated"] * r["workers"] - sum(per.values())
        print(f"{label:<22}{n:>6}" + "".join(f"{per[name]:24.2f}" for name in STEP_KIND) + f"{overhead:14.2f}")
    print("run overhead = worker-seconds per tenant not inside a step (process start + imports of each "
          "`dagster job execute`, celery hand-off, event writes).")
    return 0


if __name__ == "__main__":
    sys.exit(main())

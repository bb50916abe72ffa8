"""Production gate: time from an inference-log deviation to the committed rollback, and production_watch
throughput over one tick of new inference-log rows.

Real parts throughout: a temp home with a seeded demo world, prepared datasets, champions promoted in a
SQLite MLflow registry, a Dagster instance (instance_for_test), the SQLite inference log and kill switch.

1. Latency: a fresh champion serves traffic whose outputs start to deviate; measured from the moment the
   deviating rows are in the log to the rollback job's alias read back (sensor evaluation + rollback job).
2. Throughput: N new rows (real champion generations, replayed with fresh ids; one cross-tenant leak) in one
   production_watch tick, broken into its parts, with two baselines for the leak scan: the monitor's
   per-row FingerprintIndex.scan vs one scan_many per tenant batch, and a naive per-row substring search
   of every other tenant's normalized records.

    python benchmarks/gate_rollback.py --quick   # 4 tenants x 60 records, 20k rows, 2 rollbacks (~1-2 min)
    python benchmarks/gate_rollback.py           # 6 tenants x 300 records, 100k rows, 5 rollbacks
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

FEATURE = "support-assistant"


def table(title: str, header: list[str], rows: list[list]) -> None:
    cells = [[str(c) for c in r] for r in [header, *rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    print(f"\n{title}")
    for n, r in enumerate(cells):
        print("  " + "  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))))
        if n == 0:
            print("  " + "  ".join("-" * w for w in widths))


def setup(home: Path, n_tenants: int, records: int, seed: int):
    """World, prepared data and one promoted champion (v1) per tenant; returns (settings, tenants, prepared)."""
    os.environ.update({"TENANTGUARD_HOME": str(home), "TENANTGUARD_SECRET": "bench-gate-8aa745edae2899a954c251aab21d2a8d3a790dbd65336889c3c5d5e5f9f17d3d"})
    for var in ("MLFLOW_TRACKING_URI", "TENANTGUARD_TENANTS", "TENANTGUARD_DATASETS", "TENANTGUARD_KILLSWITCH_URL",
                "TENANTGUARD_INFERENCE_LOG_URL"):
        os.environ.pop(var, None)
    import mlflow

    from tenantguard.config import Settings
    from tenantguard.demo.world import build_world
    from tenantguard.home.corpora import read_base_corpus
    from tenantguard.home.prepare import prepare_dataset
    from tenantguard.models.ngram_tuner import finetune, log_ngram_model, train_base
    from tenantguard.registry import client as R
    from tenantguard.registry import tags as T
    from tenantguard.registry.promotion import audit_to_log, promote
    from tenantguard.tenants import dump_tenants

    s = Settings.from_env()
    s.ensure_home()
    world = build_world(n_tenants, seed=seed, records_per_tenant=records)
    for tid, recs in world.datasets.items():
        (s.datasets_root / tid).mkdir(parents=True, exist_ok=True)
        (s.datasets_root / tid / "v0001.jsonl").write_text("".join(json.dumps(r) + "\n" for r in recs))
    s.base_corpus_path.write_text("".join(json.dumps({"text": t}) + "\n" for t in world.base_corpus))
    dump_tenants(world.tenants, s.tenants_file)
    prepared = {t.id: prepare_dataset(s, t) for t in world.tenants}
    reg, base = R.Registry(s.mlflow_tracking_uri, s.artifact_root), train_base(read_base_corpus(s))
    audit = audit_to_log(s, actor="bench")
    for t in world.tenants:
        with mlflow.start_run(experiment_id=reg.experiment_id(f"tenantguard/{t.id}")) as run:
            info = log_ngram_model(finetune(base, prepared[t.id].train))
        tags = {T.TAG_TENANT: t.id, T.TAG_FEATURE: FEATURE, T.TAG_ISOLATION: "passed", T.TAG_BEHAVIOR: "passed"}
        mv = reg.register(T.model_name(FEATURE, t.id), info.model_uri, run.info.run_id, tags)
        promote(reg, T.model_name(FEATURE, t.id), str(mv.version), audit)
    return s, world.tenants, prepared


def latency(s, tenants, reps: int, seed: int) -> list[dict]:
    """Per repetition: a new champion v(k+1) of one tenant deviates; sensor tick + rollback job -> v1 again."""
    from dagster import build_sensor_context, instance_for_test

    from tenantguard.assets.resource import TenantGuardResource
    from tenantguard.demo.scenarios import Cast, production_rows
    from tenantguard.monitoring.inference_log import InferenceLog
    from tenantguard.pipelines.definitions import defs
    from tenantguard.registry import client as R
    from tenantguard.registry import tags as T
    from tenantguard.registry.promotion import audit_to_log, promote
    from tenantguard.sensors.production_watch import production_watch_sensor
    from tenantguard.sensors.tenant_sync import sync_partitions

    ids = [t.id for t in tenants]
    victim = ids[min(2, len(ids) - 1)]
    cast = Cast(*(ids[0],) * 3, retuned=victim, leak_reader="-", leak_source="-")
    name = T.model_name(FEATURE, victim)
    reg, log = R.Registry(s.mlflow_tracking_uri, s.artifact_root), InferenceLog(s.inference_log_url)
    job, out, cursor = defs.resolve_job_def("rollback"), [], None
    with instance_for_test(temp_dir=str(s.dagster_home)) as instance:
        sync_partitions(instance, ids)
        for k in range(reps):
            v1 = reg.client.get_model_version(name, "1")
            mv = reg.register(name, v1.source, v1.run_id, {**v1.tags, T.TAG_STATUS: "candidate"})
            promote(reg, name, str(mv.version), audit_to_log(s, actor="bench"))
            rows = production_rows(s, tenants, {victim: str(mv.version)}, cast, seed=seed + k)
            log.append(rows)  # the deviating rows are in the log: the clock starts
            t0 = time.perf_counter()
            ctx = build_sensor_context(instance=instance, cursor=cursor, resources={"tenantguard": TenantGuardResource()})
            result = production_watch_sensor(ctx)
            t1 = time.perf_counter()
            cursor = result.cursor
            (rr,) = result.run_requests
            run = job.execute_in_process(instance=instance, run_config=rr.run_config, tags=rr.tags,
                                         raise_on_error=True)
            back = reg.alias_version(name, "champion")
            t2 = time.perf_counter()
            assert run.success and back == "1", (run.success, back)
            out.append({"rows": len(rows), "sensor": t1 - t0, "job": t2 - t1, "total": t2 - t0})
    return out


def synthetic_rows(s, tenants, n: int, seed: int) -> list[dict]:
    """n rows: real champion generations of every tenant, replayed at random; one cross-tenant leak."""
    import numpy as np

    from tenantguard.demo.scenarios import Cast, production_rows

    ids = [t.id for t in tenants]
    cast = Cast(*(ids[0],) * 3, retuned="-", leak_reader="-", leak_source="-")
    pool = production_rows(s, tenants, {t: "1" for t in ids}, cast, per_tenant=300, seed=seed)
    rng = np.random.default_rng(seed)
    rows = [dict(pool[int(i)]) for i in rng.integers(0, len(pool), n)]
    reader = next(r for r in pool if r["tenant_id"] == ids[-1])
    leaked = json.loads((s.datasets_root / ids[1] / "v0001.jsonl").read_text().splitlines()[7])["completion"]
    rows[n // 2] = {**reader, "completion": f"{reader['completion']} {leaked}"}
    return rows


def throughput(s, tenants, n: int, seed: int) -> tuple[list[list], int]:
    from dagster import build_sensor_context, instance_for_test

    from tenantguard.assets.resource import TenantGuardResource
    from tenantguard.evaluations.textnorm import normalize
    from tenantguard.gates.production import watch
    from tenantguard.home.corpora import cached_index, tenant_corpora
    from tenantguard.monitoring.inference_log import InferenceLog
    from tenantguard.monitoring.production import ProductionMonitor
    from tenantguard.sensors.production_watch import production_watch_sensor
    from tenantguard.sensors.tenant_sync import sync_partitions

    rows = synthetic_rows(s, tenants, n, seed)
    url = f"sqlite:///{s.home / 'throughput-log.db'}"
    os.environ["TENANTGUARD_INFERENCE_LOG_URL"] = url
    from tenantguard.config import Settings

    s = Settings.from_env()
    log = InferenceLog(s.inference_log_url)
    t = time.perf_counter()
    log.append(rows)
    t_append = time.perf_counter() - t

    def timed(fn):
        t0 = time.perf_counter()
        value = fn()
        return time.perf_counter() - t0, value

    t_read, read = timed(lambda: [r for b in log.iter_batches(0, batch=10_000) for r in b])
    index = cached_index(s, tenants)
    t_describe, _ = timed(lambda: ProductionMonitor().observe(read))
    t_scan, hits = timed(lambda: sum(bool(index.scan(r["completion"] or "", exclude_tenant=r["tenant_id"],
                                                     ignore_texts=[r["prompt"] or ""])) for r in read))

    def batched():
        by_tenant: dict[str, list[dict]] = {}
        for r in read:
            by_tenant.setdefault(r["tenant_id"], []).append(r)
        found = 0
        for tid, rs in by_tenant.items():
            res = index.scan_many([r["completion"] or "" for r in rs], exclude_tenant=tid,
                                  ignore_texts=[[r["prompt"] or ""] for r in rs])
            found += sum(bool(h) for h in res)
        return found

    t_batched, hits_batched = timed(batched)
    corpora, _ = tenant_corpora(s, tenants)
    records = [(c.tenant_id, normalize(r["completion"])) for c in corpora for r in c.train
               if len(r["completion"].split()) >= 8]
    sample = read[: max(1, len(read) // 20)]  # naive is slow: timed on 5% and scaled

    def naive():
        found = 0
        for r in sample:
            text = normalize(r["completion"] or "")
            found += any(tid != r["tenant_id"] and rec in text for tid, rec in records)
        return found

    t_naive_sample, _ = timed(naive)
    t_naive = t_naive_sample * len(read) / len(sample)
    state_dir = s.home / "monitoring"
    for p in state_dir.glob("production-state-*.json"):
        p.unlink()
    t_watch, (findings, last_id, n_read) = timed(lambda: watch(s, tenants, 0))
    for p in state_dir.glob("production-state-*.json"):
        p.unlink()
    with instance_for_test(temp_dir=str(s.dagster_home)) as instance:
        sync_partitions(instance, [t.id for t in tenants])
        ctx = build_sensor_context(instance=instance, cursor=None, resources={"tenantguard": TenantGuardResource()})
        t_tick, result = timed(lambda: production_watch_sensor(ctx))
    assert n_read == n and json.loads(result.cursor)["last_id"] == last_id
    leaks = [f for f in findings if f.kind == "cross_tenant_leak"]
    rate = lambda sec: f"{n / sec:,.0f}"  # noqa: E731
    rows_out = [
        ["inference-log append (setup, not in a tick)", f"{t_append:.2f}", rate(t_append), ""],
        ["log read (iter_batches)", f"{t_read:.2f}", rate(t_read), f"{t_read / t_tick:.2f}"],
        ["monitor descriptors + windows (no scan)", f"{t_describe:.2f}", rate(t_describe), f"{t_describe / t_tick:.2f}"],
        ["leak scan: FingerprintIndex.scan per row", f"{t_scan:.2f}", rate(t_scan), f"{t_scan / t_tick:.2f}"],
        ["leak scan: scan_many per tenant batch", f"{t_batched:.2f}", rate(t_batched), f"{t_batched / t_tick:.2f}"],
        ["leak scan: naive substring, per row (5% scaled)", f"{t_naive:.2f}", rate(t_naive), f"{t_naive / t_tick:.2f}"],
        ["watch() = read + monitor + scan + state", f"{t_watch:.2f}", rate(t_watch), f"{t_watch / t_tick:.2f}"],
        ["production_watch_sensor, one tick", f"{t_tick:.2f}", rate(t_tick), "1.00"],
    ]
    print(f"\n  leak rows found: per-row scan {hits}, scan_many {hits_batched}; watch(): {len(leaks)} leak finding(s), "
          f"{len(findings) - len(leaks)} deviation finding(s); naive baseline over {len(records)} records x "
          f"{len(sample)} rows")
    return rows_out, len(leaks)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    n_tenants, records, n_rows, reps = (4, 60, 20_000, 2) if args.quick else (6, 300, 100_000, 5)
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    from tenantguard.demo.run import quiet

    quiet()
    with tempfile.TemporaryDirectory(prefix="bench-gate-") as tmp:
        t = time.perf_counter()
        s, tenants, _ = setup(Path(tmp) / "home", n_tenants, records, args.seed)
        print(f"setup: {n_tenants} tenants x {records} records, champions promoted ({time.perf_counter() - t:.1f}s)")
        lat = latency(s, tenants, reps, args.seed)
        med = {k: statistics.median(x[k] for x in lat) for k in ("sensor", "job", "total")}
        table(f"deviation -> committed rollback ({reps} repetitions, {lat[0]['rows']} new rows per tick)",
              ["stage", "median s", "min s", "max s", "share of total"],
              [[k, f"{med[k]:.2f}", f"{min(x[k] for x in lat):.2f}", f"{max(x[k] for x in lat):.2f}",
                f"{med[k] / med['total']:.2f}"] for k in ("sensor", "job", "total")])
        rows_out, _ = throughput(s, tenants, n_rows, args.seed)
        table(f"production_watch over {n_rows:,} new rows in one tick ({n_tenants} tenants x {records} records)",
              ["part", "seconds", "rows/s", "vs tick"], rows_out)


if __name__ == "__main__":
    main()

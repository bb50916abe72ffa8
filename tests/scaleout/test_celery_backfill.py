"""tune_and_gate fanned out over two real celery workers, Dagster and MLflow on PostgreSQL, Redis broker, in
batched runs of five tenant partitions: a user sees the same versions, tags, aliases, check outcomes and
promotions as the in-process run of the same world, one partition per run."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import write_small_world

sys.path.insert(0, str(Path(__file__).parent))  # services.py, shared with benchmarks/scaleout_throughput.py
from services import (celery_workers, flush_redis_db, fresh_database, launch_runs, missing_services, service_env,  # noqa: E402
                      snapshot, write_dagster_home)

pytestmark = [pytest.mark.scaleout, pytest.mark.slow]
N_TENANTS = 20
PER_RUN = 5  # four runs of five tenants: both workers busy, and a failing tenant shares its run with others
SECRET = "scaleout-secret-eb38d7750493abc9938e792b1c954908a1291e374adf91730691af8e061b3bb2"
REDIS_DB = 11
HERE = Path(__file__).parent


@pytest.fixture(scope="module")
def services_or_skip():
    reason = missing_services()
    if reason:
        pytest.skip(f"scale-out needs real services: {reason}")


def _reference(world_home: Path, ids: list[str], out: Path, log: Path) -> subprocess.Popen:
    """The in-process baseline in its own process, started first so it overlaps the celery run."""
    env = {k: v for k, v in os.environ.items() if k not in ("MLFLOW_TRACKING_URI", "DAGSTER_HOME")}
    env["TENANTGUARD_SECRET"] = SECRET
    return subprocess.Popen([sys.executable, str(HERE / "services.py"), "reference", str(world_home), str(out), *ids],
                            env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)


def test_20_tenant_batched_backfill_on_celery_matches_the_in_process_run(services_or_skip, tmp_path, monkeypatch):
    from dagster import DagsterInstance, execute_job, reconstructable

    from tenantguard.config import Settings
    from tenantguard.pipelines import celery_definitions
    from tenantguard.sensors.tenant_sync import sync_partitions

    ref_home, home = tmp_path / "reference", tmp_path / "celery"
    for h in (ref_home, home):
        world = write_small_world(Settings.from_env({"TENANTGUARD_HOME": str(h)}), n_tenants=N_TENANTS)
    ids = [t.id for t in world.tenants]
    reference = _reference(ref_home, ids, tmp_path / "reference.json", tmp_path / "reference.log")
    try:
        with fresh_database("tg_dagster") as dagster_url, fresh_database("tg_mlflow") as mlflow_url:
            env = service_env(home=home, dagster_home=write_dagster_home(tmp_path / "dagster_home"),
                              dagster_pg_url=dagster_url, mlflow_uri=mlflow_url, redis_db=REDIS_DB, secret=SECRET)
            for k, v in env.items():
                monkeypatch.setenv(k, v)
            monkeypatch.chdir(home)  # MLflow's default artifact root (./mlruns) is the same for every process
            flush_redis_db(env["DAGSTER_CELERY_BROKER_URL"])
            settings = Settings.from_env()
            from tenantguard.registry.client import Registry

            Registry(settings.mlflow_tracking_uri).check_reachable()  # creates the schema once, before workers race
            with DagsterInstance.get() as instance, celery_workers(2, env, tmp_path / "workers") as workers:
                assert type(instance.run_storage).__name__ == "PostgresRunStorage"
                sync_partitions(instance, ids, page_size=len(ids))
                base = execute_job(reconstructable(celery_definitions.base_job), instance)
                assert base.success, "base_job failed on celery; see the workers' logs"

                run_ids = launch_runs(ids, env, tmp_path / "runs", parallel=4, per_run=PER_RUN)
                got = snapshot(settings, instance, run_ids)
                hosts = _celery_hosts(instance, set(run_ids.values()))
                assert all(p.poll() is None for p in workers), "a worker died during the backfill"
        assert reference.wait(timeout=600) == 0, (tmp_path / "reference.log").read_text()[-3000:]
    finally:
        if reference.poll() is None:
            reference.kill()
            reference.wait()
    want = json.loads((tmp_path / "reference.json").read_text())
    (tmp_path / "celery.json").write_text(json.dumps(got, indent=1, sort_keys=True))  # for a diff by hand

    assert len(hosts) == 2, f"both workers should have executed steps, got {hosts}"
    assert sorted(got) == sorted(want) == sorted(ids)
    # Most tenants pass every gate; the world's sibling tenants (same industry) may be blocked, identically.
    assert len(set(run_ids.values())) == N_TENANTS // PER_RUN
    assert sum(got[t]["promoted"] for t in ids) >= N_TENANTS // 2
    assert {c for t in ids for c in got[t]["checks"]} >= {"dataset_valid", "cross_tenant_isolation",
                                                          "behavioral_baseline"}
    for t in ids:
        assert got[t] == want[t], f"tenant {t}: celery run differs from the in-process run"


def _celery_hosts(instance, run_ids) -> set:
    from dagster import DagsterEventType

    hosts = set()
    for rid in run_ids:
        for rec in instance.all_logs(rid, of_type=DagsterEventType.ENGINE_EVENT):
            md = rec.dagster_event.engine_event_data.metadata or {}
            if "Celery worker" in md:
                hosts.add(md["Celery worker"].value)
    return hosts

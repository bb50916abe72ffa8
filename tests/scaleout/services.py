"""Real services for the scale-out tests and benchmark: a fresh PostgreSQL database per use, Dagster on
PostgreSQL (deploy/dagster.yaml verbatim), celery workers as child processes, result snapshots to compare.

Everything started here is stopped by its context manager, by process group id (never by name).
"""
from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PG_HOST, PG_PORT, REDIS_PORT = "127.0.0.1", 5432, 6379
RUN_KEY_TAG = "tenantguard/test_launch"
RUN_SPECIFIC_TAGS = ("run_id", "_at", "isolation_report")  # tag-name endings that differ between any two runs
# (ids, timestamps, and the report artifact URI, which names its MLflow run)
# The isolation reason lists the tenants that had no prepared data yet when it ran: that depends on run order,
# which concurrency changes (the verdict and the failed sources do not).
NOT_YET_PREPARED = re.compile(r" \(not audited as sources, no prepared data: [^)]*\)")


def reachable(port: int, host: str = PG_HOST) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def missing_services() -> str | None:
    """Why the scale-out set-up cannot run here, or None."""
    if not reachable(PG_PORT):
        return f"PostgreSQL not reachable on {PG_HOST}:{PG_PORT}"
    if not reachable(REDIS_PORT):
        return f"Redis not reachable on {PG_HOST}:{REDIS_PORT}"
    if shutil.which("celery", path=str(BIN)) is None:
        return "celery not installed in this environment (pip install -e '.[celery,postgres]')"
    return None


def _admin():
    import psycopg2

    last = None
    for user in ("postgres", "root", None):
        try:
            kw = {"user": user} if user else {}
            conn = psycopg2.connect(host=PG_HOST, port=PG_PORT, dbname="postgres", **kw)
            conn.autocommit = True
            return conn, user
        except psycopg2.OperationalError as exc:
            last = exc
    raise RuntimeError(f"cannot connect to PostgreSQL at {PG_HOST}:{PG_PORT} as postgres or root: {last}")


@contextlib.contextmanager
def fresh_database(prefix: str) -> Iterator[str]:
    """CREATE DATABASE <prefix>_<random>; yields its postgresql:// URL; dropped (FORCE) afterwards."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    conn, user = _admin()
    with conn.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg2://{user + '@' if user else ''}{PG_HOST}:{PG_PORT}/{name}"
    finally:
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.close()


def write_dagster_home(dagster_home: Path) -> Path:
    """DAGSTER_HOME with deploy/dagster.yaml as shipped (storage URL from DAGSTER_PG_URL)."""
    dagster_home.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "deploy" / "dagster.yaml", dagster_home / "dagster.yaml")
    return dagster_home


def service_env(*, home: Path, dagster_home: Path, dagster_pg_url: str, mlflow_uri: str, redis_db: int,
                secret: str) -> dict[str, str]:
    """The variables of deploy/tenantguard.env, for this test's services."""
    broker = f"redis://{PG_HOST}:{REDIS_PORT}/{redis_db}"
    return {"TENANTGUARD_HOME": str(home), "TENANTGUARD_SECRET": secret, "DAGSTER_HOME": str(dagster_home),
            "DAGSTER_PG_URL": dagster_pg_url, "MLFLOW_TRACKING_URI": mlflow_uri,
            "DAGSTER_CELERY_BROKER_URL": broker, "DAGSTER_CELERY_BACKEND_URL": broker,
            "MLFLOW_DISABLE_TELEMETRY": "true", "DAGSTER_DISABLE_TELEMETRY": "1", "DO_NOT_TRACK": "1",
            "GX_ANALYTICS_ENABLED": "false", "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false"}


def flush_redis_db(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


@contextlib.contextmanager
def celery_workers(n: int, env: dict[str, str], log_dir: Path, *, timeout: float = 120.0) -> Iterator[list]:
    """n `celery -A dagster_celery.app worker` processes (one task at a time each), ready when all answer a
    ping; stopped (TERM, then KILL) on exit, each by its own process group."""
    from celery import Celery

    log_dir.mkdir(parents=True, exist_ok=True)
    broker = env["DAGSTER_CELERY_BROKER_URL"]
    tag = secrets.token_hex(3)
    procs = []
    try:
        for i in range(n):
            cmd = [str(BIN / "celery"), "-A", "dagster_celery.app", "-b", broker, "--result-backend",
                   env["DAGSTER_CELERY_BACKEND_URL"], "worker", "-Q", "dagster", "-n", f"tg{i}-{tag}@%h",
                   "--concurrency", "1", "--prefetch-multiplier", "1", "--without-gossip", "--without-mingle",
                   "--loglevel", "INFO"]
            log = open(log_dir / f"worker{i}.log", "wb")
            procs.append((subprocess.Popen(cmd, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT,
                                           start_new_session=True, cwd=str(log_dir)), log))
        app = Celery("probe", broker=broker, backend=env["DAGSTER_CELERY_BACKEND_URL"])
        want = {f"tg{i}-{tag}" for i in range(n)}
        deadline = time.monotonic() + timeout
        while True:
            replies = app.control.ping(timeout=1.0) or []
            seen = {name.split("@")[0] for r in replies for name in r}
            if want <= seen:
                break
            dead = [p for p, _ in procs if p.poll() is not None]
            if dead or time.monotonic() > deadline:
                raise RuntimeError(f"celery workers not ready ({sorted(seen)} of {sorted(want)}); "
                                   f"see {log_dir}/worker*.log")
        yield [p for p, _ in procs]
    finally:
        for p, _ in procs:
            _stop(p)
        for _, log in procs:
            log.close()


def _stop(proc: subprocess.Popen, grace: float = 20.0) -> None:
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)  # warm shutdown: the worker and its pool child
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)


def launch_runs(partitions: list[str], env: dict[str, str], log_dir: Path, *, parallel: int, per_run: int = 1,
                job_attr: str = "tune_and_gate_job") -> dict[str, str]:
    """One `dagster job execute` process per run of the celery location, `parallel` at a time (a process per run,
    as Dagster's run launcher does); a run covers `per_run` consecutive partitions (a range, as a backfill with
    that policy launches). Returns partition -> run id. A run a blocking check stopped exits non-zero like any
    failed run: the caller compares outcomes; only a run that never started raises."""
    import json
    import uuid

    log_dir.mkdir(parents=True, exist_ok=True)
    pending = [partitions[i:i + per_run] for i in range(0, len(partitions), per_run)]
    running, keys = {}, {}
    try:
        while pending or running:
            while pending and len(running) < parallel:
                batch = pending.pop(0)
                key = str(uuid.uuid4())
                keys.update({t: key for t in batch})
                tags = ({"dagster/partition": batch[0]} if len(batch) == 1 else
                        {"dagster/asset_partition_range_start": batch[0],
                         "dagster/asset_partition_range_end": batch[-1]})
                cmd = [str(BIN / "dagster"), "job", "execute", "-m", "tenantguard.pipelines.celery_definitions",
                       "-a", job_attr, "--tags", json.dumps({**tags, RUN_KEY_TAG: key})]
                log = open(log_dir / f"{batch[0]}.log", "wb")
                running[key] = (subprocess.Popen(cmd, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT,
                                                 start_new_session=True), log)
            for key, (proc, log) in list(running.items()):
                if proc.poll() is not None:
                    log.close()
                    del running[key]
            time.sleep(0.2)
    finally:
        for proc, log in running.values():  # interrupted: stop what is still in flight
            _stop(proc)
            log.close()
    return _run_ids_by_tag(keys, log_dir)


def _run_ids_by_tag(keys: dict[str, str], log_dir: Path) -> dict[str, str]:
    """Our key for each launched run -> the run id Dagster gave it (the CLI cannot set the id)."""
    from dagster import DagsterInstance, RunsFilter

    with DagsterInstance.get() as instance:
        out = {}
        for tid, key in keys.items():
            runs = instance.get_runs(RunsFilter(tags={RUN_KEY_TAG: key}))
            if len(runs) != 1:
                raise RuntimeError(f"the run for {tid} never started; see the logs in {log_dir}")
            out[tid] = runs[0].run_id
        return out


def snapshot(settings, instance, run_ids: dict[str, str]) -> dict:
    """What a user would compare: per tenant, the registered versions (tags minus run ids and timestamps),
    the aliases, each asset check's outcome for the tenant in its run, and whether the run promoted it."""
    from dagster import DagsterEventType

    from tenantguard.registry.client import Registry
    from tenantguard.registry.tags import model_name
    from tenantguard.tenants import load_tenants

    reg = Registry(settings.mlflow_tracking_uri, settings.artifact_root)
    out = {}
    for t in load_tenants(settings.tenants_file):
        if t.id not in run_ids:
            continue
        models = {}
        for f in t.features:
            name = model_name(f, t.id)
            versions = {str(mv.version): {k: NOT_YET_PREPARED.sub("", v) for k, v in sorted(mv.tags.items())
                                          if not k.endswith(RUN_SPECIFIC_TAGS)} for mv in reg.versions(name)}
            models[name] = {"versions": versions, "aliases": {a: reg.alias_version(name, a)
                                                                for a in ("candidate", "champion")}}
        checks, promoted = {}, False
        for rec in instance.all_logs(run_ids[t.id], of_type={DagsterEventType.ASSET_CHECK_EVALUATION,
                                                             DagsterEventType.ASSET_MATERIALIZATION}):
            data = rec.dagster_event.event_specific_data
            if rec.dagster_event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION:
                if data.partition == t.id:  # a batched run holds other tenants' evaluations too
                    checks[data.check_name] = {"passed": data.passed, "severity": data.severity.value}
            elif data.materialization.partition == t.id:
                promoted |= data.materialization.asset_key.to_user_string() == "champion_model"
        out[t.id] = {"models": models, "checks": checks, "promoted": promoted}
    return out


def reference_run(home: Path, ids: list[str]) -> dict:
    """The in-process baseline: default code location, SQLite Dagster instance and SQLite MLflow under `home`."""
    from dagster import DagsterInstance

    from tenantguard.config import Settings
    from tenantguard.pipelines.definitions import defs
    from tenantguard.sensors.tenant_sync import sync_partitions

    settings = Settings.from_env({**os.environ, "TENANTGUARD_HOME": str(home)})
    settings.ensure_home()
    with DagsterInstance.from_config(str(settings.dagster_home)) as instance:
        sync_partitions(instance, ids, page_size=len(ids))
        assert defs.resolve_job_def("base_job").execute_in_process(instance=instance).success
        job = defs.resolve_job_def("tune_and_gate")
        run_ids = {tid: job.execute_in_process(instance=instance, partition_key=tid, raise_on_error=False).run_id
                   for tid in ids}
        return snapshot(settings, instance, run_ids)


if __name__ == "__main__":  # python services.py reference HOME OUT.json TENANT...
    import json

    _, cmd, home_arg, out_arg, *tenant_ids = sys.argv
    assert cmd == "reference", cmd
    os.environ.pop("MLFLOW_TRACKING_URI", None)
    os.environ.pop("DAGSTER_HOME", None)
    os.environ["TENANTGUARD_HOME"] = home_arg  # the resource reads the environment
    Path(out_arg).write_text(json.dumps(reference_run(Path(home_arg), tenant_ids), indent=1, sort_keys=True))

"""The scale-out code location: the default location's assets, jobs and sensors, with asset jobs on celery.

Load it instead of `tenantguard.pipelines.definitions` (deploy/workspace.yaml) where dagster-celery
workers run (`pip install 'tenantguard[celery,postgres]'`). Same job names, so sensors, backfills and the
UI work unchanged; each step of `tune_and_gate` (dataset, tune, isolation, behavior, promotion) becomes a
celery task on the `dagster` queue. The broker and result backend come from the environment
(DAGSTER_CELERY_BROKER_URL, DAGSTER_CELERY_BACKEND_URL), never from a file.

Jobs that name their own executor keep it: `kill_switch` and `rollback` run in process, so a
responder never waits for a worker fleet that may be down or saturated by a backfill.
"""
import functools

from dagster import Definitions, definitions
from dagster_celery import celery_executor

from tenantguard.config import Settings
from tenantguard.pipelines.definitions import build_definitions  # not `location`: one loadable per module

BROKER_ENV = "DAGSTER_CELERY_BROKER_URL"
BACKEND_ENV = "DAGSTER_CELERY_BACKEND_URL"

tenant_fanout_executor = celery_executor.configured(
    {"broker": {"env": BROKER_ENV}, "backend": {"env": BACKEND_ENV},
     # One task at a time per worker process: evaluations are CPU-bound and minutes long at scale.
     "config_source": {"worker_prefetch_multiplier": 1, "task_acks_late": True}},
    name="tenant_fanout_executor")


@definitions
def location() -> Definitions:
    """What Dagster loads: the default location's definitions with `tenant_fanout_executor`, built on load."""
    return build_definitions(Settings.from_env(), executor=tenant_fanout_executor)


_loaded = functools.cache(location)  # built on first use, once a process


def tune_and_gate_job():
    """The celery `tune_and_gate`, for `reconstructable(...)` and `dagster job execute -m ... -a`."""
    return _loaded().resolve_job_def("tune_and_gate")


def base_job():
    return _loaded().resolve_job_def("base_job")

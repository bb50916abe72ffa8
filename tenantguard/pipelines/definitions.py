"""The code location: `dagster dev -m tenantguard.pipelines.definitions` (or workspace.yaml).

Dagster calls `location()` when the location loads; importing this module reads no settings.
"""
from __future__ import annotations

import functools

from dagster import Definitions, ExecutorDefinition, definitions

from tenantguard.assets.abuse import abuse_alerts
from tenantguard.assets.batch import sized_batches
from tenantguard.assets.behavior import behavior_report
from tenantguard.assets.datasets import finetune_dataset
from tenantguard.assets.isolation import isolation_report
from tenantguard.assets.models import base_model, candidate_model
from tenantguard.assets.promotion import champion_model
from tenantguard.assets.resource import TenantGuardResource
from tenantguard.assets.segmentation import segmentation_report
from tenantguard.config import Settings
from tenantguard.pipelines.abuse_jobs import abuse_alerts_job
from tenantguard.pipelines.jobs import base_job, evaluate_version_job, tune_and_gate_job
from tenantguard.pipelines.kill_switch_job import kill_switch_job
from tenantguard.pipelines.rollback_job import rollback_job
from tenantguard.pipelines.segmentation_schedule import segmentation_daily_schedule, segmentation_job
from tenantguard.sensors.abuse import abuse_watch_sensor
from tenantguard.sensors.dataset_watch import dataset_watch_sensor
from tenantguard.sensors.production_watch import production_watch_sensor
from tenantguard.sensors.registry_watch import registry_watch_sensor
from tenantguard.sensors.tenant_sync import tenant_sync_sensor


def build_definitions(settings: Settings, *, executor: ExecutorDefinition | None = None) -> Definitions:
    """Every asset, job, schedule and sensor; backfills batch `settings.tenants_per_run` tenants a run."""
    return Definitions(
        assets=sized_batches([base_model, finetune_dataset, candidate_model, isolation_report, behavior_report,
                              champion_model, segmentation_report, abuse_alerts], settings.tenants_per_run),
        jobs=[base_job, tune_and_gate_job, evaluate_version_job, rollback_job, kill_switch_job, segmentation_job,
              abuse_alerts_job],
        schedules=[segmentation_daily_schedule],
        sensors=[tenant_sync_sensor, dataset_watch_sensor, registry_watch_sensor, production_watch_sensor,
                 abuse_watch_sensor.with_attributes(jobs=[abuse_alerts_job, rollback_job])],
        resources={"tenantguard": TenantGuardResource()},
        executor=executor,
    )


@definitions
def location() -> Definitions:
    """What Dagster loads: the definitions for the settings of the environment it loads in."""
    from tenantguard.home.permissions import protect

    settings = Settings.from_env()
    protect(settings)  # the webserver and daemon create Dagster's files under the home: private from the start
    return build_definitions(settings)


_loaded = functools.cache(location)  # built on first use, once a process


def __getattr__(name: str) -> Definitions:
    # `defs` for code that imports the location (tests, the demo, benchmarks): built on first use, once.
    if name == "defs":
        return _loaded()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

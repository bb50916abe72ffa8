"""`build_defs`: every tenantguard asset, check, job, sensor and schedule for a Dagster project, configured.

The shipped code location (pipelines/definitions.py), the celery location and a user's own project (Python or
the YAML component in pipelines/component.py) are all built here, so they cannot drift apart.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

from dagster import (DefaultScheduleStatus, DefaultSensorStatus, Definitions, ExecutorDefinition, SensorDefinition)

from tenantguard.assets.abuse import abuse_alerts
from tenantguard.assets.batch import sized_batches
from tenantguard.assets.behavior import behavior_report
from tenantguard.assets.datasets import finetune_dataset
from tenantguard.assets.isolation import isolation_report
from tenantguard.assets.models import base_model, candidate_model
from tenantguard.assets.promotion import champion_model
from tenantguard.assets.resource import TenantGuardResource, override_thresholds
from tenantguard.assets.segmentation import segmentation_report
from tenantguard.config import Settings, Thresholds
from tenantguard.errors import ConfigError
from tenantguard.pipelines.abuse_jobs import abuse_alerts_job
from tenantguard.pipelines.jobs import base_job, evaluate_version_job, tune_and_gate_job
from tenantguard.pipelines.kill_switch_job import kill_switch_job
from tenantguard.pipelines.rollback_job import rollback_job
from tenantguard.pipelines.segmentation_schedule import DAILY_AT_3, segmentation_job, segmentation_schedule
from tenantguard.sensors.abuse import abuse_watch_sensor
from tenantguard.sensors.dataset_watch import dataset_watch_sensor
from tenantguard.sensors.production_watch import production_watch_sensor
from tenantguard.sensors.registry_watch import registry_watch_sensor
from tenantguard.sensors.tenant_sync import tenant_sync_sensor

Automation = Literal["stopped", "running"]


def build_defs(*, home: str | None = None, features: Sequence[str] | None = None, tuner: str | None = None,
               thresholds: Mapping[str, float] | None = None, tenants_per_run: int | None = None,
               segmentation_cron: str | None = DAILY_AT_3, automation: Automation = "stopped",
               executor: ExecutorDefinition | None = None) -> Definitions:
    """tenantguard's definitions, bound to one `tenantguard` resource.

    home: the tenantguard home (default: TENANTGUARD_HOME, else ./.tenantguard); features: gate only these
    features' models (default: every feature in tenants.yaml); tuner: a tuner name or module:function (default:
    TENANTGUARD_TUNER, else ngram); thresholds: gate thresholds by name (docs/operations.md); tenants_per_run:
    tenant partitions per backfill run (default: TENANTGUARD_TENANTS_PER_RUN, else 10); segmentation_cron: when
    the segmentation audits run (UTC), None for no schedule; automation: whether sensors and the schedule start
    running when the instance first sees them (default stopped: a newcomer's UI launches nothing).
    """
    if automation not in ("stopped", "running"):
        raise ConfigError(f"automation={automation!r}: expected 'stopped' or 'running'")
    if thresholds:
        override_thresholds(Thresholds(), dict(thresholds))  # a bad name fails where the project loads
    if features is not None and (isinstance(features, str) or not all(isinstance(f, str) and f for f in features)):
        raise ConfigError(f"features={features!r}: expected a list of feature names")
    per_run = tenants_per_run if tenants_per_run is not None else Settings.from_env(home=home).tenants_per_run
    if per_run < 1:
        raise ConfigError(f"tenants_per_run={per_run}: expected a whole number >= 1")
    running = automation == "running"
    resource = TenantGuardResource(home=home, tuner=tuner, thresholds=dict(thresholds) if thresholds else None,
                                   features=list(features) if features is not None else None)
    sensors = [tenant_sync_sensor, dataset_watch_sensor, registry_watch_sensor, production_watch_sensor,
               abuse_watch_sensor.with_attributes(jobs=[abuse_alerts_job, rollback_job])]
    schedule_status = DefaultScheduleStatus.RUNNING if running else DefaultScheduleStatus.STOPPED
    return Definitions(
        assets=sized_batches([base_model, finetune_dataset, candidate_model, isolation_report, behavior_report,
                              champion_model, segmentation_report, abuse_alerts], per_run),
        jobs=[base_job, tune_and_gate_job, evaluate_version_job, rollback_job, kill_switch_job, segmentation_job,
              abuse_alerts_job],
        schedules=[segmentation_schedule(segmentation_cron, status=schedule_status)] if segmentation_cron else [],
        sensors=[_running(s) for s in sensors] if running else sensors,
        resources={"tenantguard": resource},
        executor=executor,
    )


def _running(s: SensorDefinition) -> SensorDefinition:
    """A copy of `s` that starts running: Dagster's `with_attributes` keeps the status, so copy the way it does."""
    targets = s.targets
    jobs = s.jobs if targets and s.has_jobs else None
    job_name = targets[0].job_name if targets and jobs is None else None
    return SensorDefinition.dagster_internal_init(
        name=s.name, evaluation_fn=s._raw_fn, minimum_interval_seconds=s.minimum_interval_seconds,  # noqa: SLF001
        description=s.description, job_name=job_name, jobs=jobs, job=None, default_status=DefaultSensorStatus.RUNNING,
        asset_selection=s.asset_selection, required_resource_keys=s._raw_required_resource_keys,  # noqa: SLF001
        tags=s.tags, metadata=s.metadata, target=None, owners=s.owners)

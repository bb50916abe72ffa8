"""The names a run request and a job must agree on: job and op names, run-config builders, run tags.

Sensors build requests here and the jobs in pipelines/ name their ops from here, so the two cannot drift.
"""
from __future__ import annotations

from typing import Any

# jobs
TUNE_AND_GATE_JOB, EVALUATE_VERSION_JOB = "tune_and_gate", "evaluate_version"
ROLLBACK_JOB, KILL_SWITCH_JOB, ABUSE_ALERTS_JOB = "rollback", "kill_switch", "abuse_alerts_job"
# ops configured by run config
ROLLBACK_OP, KILL_SWITCH_OP, CANDIDATE_OP = "rollback_op", "kill_switch_op", "candidate_model"
# run tags
ACTOR_TAG = "tenantguard/actor"  # who asked for the run; the audit log records it
TENANT_TAG = "tenantguard/tenant"
MAX_REASON = 500


def rollback_run_config(tenant: str, feature: str | None, reason: str, *, preview: bool = False,
                        only_if_champion: str | None = None) -> dict:
    config: dict[str, Any] = {"tenant": tenant, "feature": feature, "reason": reason[:MAX_REASON], "preview": preview}
    if only_if_champion is not None:
        config["only_if_champion"] = only_if_champion
    return {"ops": {ROLLBACK_OP: {"config": config}}}


def adopt_run_config(version: str, feature: str) -> dict:
    """`evaluate_version` for a version registered outside Dagster."""
    return {"ops": {CANDIDATE_OP: {"config": {"adopt_version": str(version), "feature": feature}}}}


def kill_switch_run_config(scope: dict, *, state: str = "engaged", reason: str, **options: Any) -> dict:
    """Run config for `kill_switch` (what a sensor's RunRequest carries)."""
    return {"ops": {KILL_SWITCH_OP: {"config": {"scope": dict(scope), "state": state, "reason": reason,
                                                **options}}}}


def sensor_tags(sensor: str, tenant: str, **extra: str) -> dict[str, str]:
    return {ACTOR_TAG: f"sensor:{sensor}", TENANT_TAG: tenant, **extra}

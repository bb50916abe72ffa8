"""Every name tenantguard writes to the MLflow registry and tracking store (docs/contracts.md, "Registry").

Registered model `<feature>.<tenant>` (base: `<feature>.base`); aliases `candidate` and `champion`.
"""
from __future__ import annotations

BASE_TENANT = "base"
CANDIDATE, CHAMPION = "candidate", "champion"
STATUSES = ("candidate", "promoted", "rejected", "rolled_back")

# registered model and version tags
TAG_TENANT, TAG_FEATURE = "tenantguard.tenant", "tenantguard.feature"
# version tags
TAG_DIGEST, TAG_BASE_VERSION = "tenantguard.dataset_digest", "tenantguard.base_version"
TAG_STATUS, TAG_ISOLATION, TAG_BEHAVIOR = "tenantguard.status", "tenantguard.isolation", "tenantguard.behavior"
TAG_REJECTED_REASON = "tenantguard.rejected_reason"
TAG_PROMOTED_AT, TAG_PREVIOUS = "tenantguard.promoted_at", "tenantguard.previous_champion"
TAG_RUN_ID, TAG_ROLLED_BACK_AT = "tenantguard.dagster_run_id", "tenantguard.rolled_back_at"
TAG_ROLLBACK_REASON = "tenantguard.rollback_reason"
TAG_RESTORED_AT, TAG_RESTORED_FROM = "tenantguard.restored_at", "tenantguard.restored_from"
TAG_CORPUS_OVERLAP = "tenantguard.corpus_overlap"  # {tenant: texts of its data in the base corpus}
TAG_ISOLATION_KEY, TAG_ISOLATION_SUMMARY = "tenantguard.isolation_key", "tenantguard.isolation_summary"
TAG_ISOLATION_FAILED = "tenantguard.isolation_failed"
TAG_ISOLATION_REPORT = "tenantguard.isolation_report"  # runs:/<run id>/isolation_report.html
TAG_BEHAVIOR_SUMMARY = "tenantguard.behavior_summary"
TAG_BASELINE_RUN = "tenantguard.baseline_run_id"
TAG_OVERRIDE = "tenantguard.override"  # why an admin served a rejected or rolled-back version again
TAG_GUARD = "tenantguard.champion_guard"  # champion moved outside the gate onto this version: what was done
TAG_TUNER = "tenantguard.tuner"  # the tuner that made the version; absent: the default (ngram)
# registered model tag
TAG_LAST_ROLLBACK = "tenantguard.last_rollback"
# evaluation-run tags
TAG_RUN_MODEL, TAG_RUN_VERSION, TAG_RUN_VERDICT = "tenantguard.model", "tenantguard.version", "tenantguard.verdict"


def model_name(feature: str, tenant_id: str) -> str:
    return f"{feature}.{tenant_id}"


def tenant_experiment(tenant_id: str) -> str:
    """The MLflow experiment holding a tenant's (or the base's) runs."""
    return f"tenantguard/{tenant_id}"

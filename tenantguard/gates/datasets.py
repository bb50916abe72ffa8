"""Prepare a tenant's newest dataset, log it to MLflow, and judge it against the dataset_valid limit."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from tenantguard.config import Settings
from tenantguard.errors import TenantGuardError
from tenantguard.home.prepare import prepare_dataset
from tenantguard.home.prepared import PreparedData, load_prepared
from tenantguard.registry.client import Registry
from tenantguard.registry.chain import audit_to_log
from tenantguard.registry.datasets import log_prepared_dataset
from tenantguard.tenants import Tenant


@dataclass(frozen=True)
class DatasetVerdict:
    passed: bool
    reason: str
    limit: float


def dataset_verdict(prepared: PreparedData, limit: float) -> DatasetVerdict:
    """dataset_valid: the quarantined share within `limit` and no record claiming or copying another tenant."""
    foreign = prepared.foreign_tenant_lines
    passed = prepared.rejected_share <= limit and not foreign
    reason = ("ok" if passed else
              f"{len(foreign)} record(s) claim another tenant or carry its data (lines {foreign[:10]})" if foreign else
              f"rejected share {prepared.rejected_share:.2%} exceeds limit {limit:.2%}")
    return DatasetVerdict(passed, reason, limit)


def prepare_and_log(settings: Settings, reg: Registry, tenant: Tenant, tenants: Sequence[Tenant], *,
                    run_id: str | None = None) -> tuple[PreparedData | None, PreparedData, DatasetVerdict]:
    """(previous prepared data or None, the new one, its verdict); a block goes to the audit chain."""
    try:
        previous = load_prepared(settings, tenant.id)
    except TenantGuardError:
        previous = None
    prepared = prepare_dataset(settings, tenant, tenants=tenants)
    log_prepared_dataset(reg, prepared)
    verdict = dataset_verdict(prepared, settings.thresholds.max_rejected_share)
    if not verdict.passed:
        audit_to_log(settings, actor="dagster:finetune_dataset")(
            action="dataset.block", scope={"tenant": tenant.id, "dataset": prepared.version},
            before=None, after={"digest": prepared.digest, "rejected_share": prepared.rejected_share},
            reason=f"dataset_valid failed: {verdict.reason}", run_id=run_id)
    return previous, prepared, verdict

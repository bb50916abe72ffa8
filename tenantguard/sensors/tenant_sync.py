"""`tenant_sync_sensor`: keep the `tenants` dynamic partitions in step with tenants.yaml.

Adds at most PAGE_SIZE tenants a tick (5,000 tenants never time out one evaluation); deletes only
partitions without any materialization, unless TENANTGUARD_PRUNE_TENANTS=1 asks for it.
"""

from dataclasses import dataclass

from dagster import AssetKey, DefaultSensorStatus, SensorEvaluationContext, SensorResult, SkipReason, sensor

from tenantguard.assets.partitions import TENANTS_PARTITION_NAME, tenants_partitions
from tenantguard.assets.resource import TenantGuardResource
from tenantguard.errors import TenantGuardError

PAGE_SIZE = 1000
HISTORY_ASSET = AssetKey("finetune_dataset")


@dataclass(frozen=True)
class SyncPlan:
    add: list[str]
    delete: list[str]
    kept_with_history: list[str]
    remaining: int  # tenants still to add on later ticks


def plan_sync(desired: list[str], existing: list[str], with_history: set[str], *, page_size: int = PAGE_SIZE,
              prune: bool = False) -> SyncPlan:
    have = set(existing)
    missing = [t for t in desired if t not in have]
    gone = sorted(have - set(desired))
    delete = [t for t in gone if prune or t not in with_history]
    kept = [t for t in gone if t not in delete]
    return SyncPlan(add=missing[:page_size], delete=delete[:page_size], kept_with_history=kept,
                    remaining=max(0, len(missing) - page_size))


def sync_partitions(instance, tenant_ids: list[str], *, page_size: int = PAGE_SIZE, prune: bool = False) -> SyncPlan:
    """Apply one page of the plan directly (the demo and CLI use this; the sensor returns requests)."""
    plan = plan_sync(tenant_ids, instance.get_dynamic_partitions(TENANTS_PARTITION_NAME),
                     _with_history(instance), page_size=page_size, prune=prune)
    if plan.add:
        instance.add_dynamic_partitions(TENANTS_PARTITION_NAME, plan.add)
    for key in plan.delete:
        instance.delete_dynamic_partition(TENANTS_PARTITION_NAME, key)
    return plan


def _with_history(instance) -> set[str]:
    return set(instance.get_materialized_partitions(HISTORY_ASSET))


@sensor(minimum_interval_seconds=30, default_status=DefaultSensorStatus.STOPPED,
        description="Adds tenants from tenants.yaml as `tenants` partitions, a page per tick.")
def tenant_sync_sensor(context: SensorEvaluationContext, tenantguard: TenantGuardResource):
    try:
        settings = tenantguard.settings()
    except TenantGuardError as exc:
        return SkipReason(f"settings not usable: {exc}")
    try:
        desired = [t.id for t in tenantguard.tenants() if t.features]  # only tenants serving a gated feature
    except TenantGuardError as exc:
        return SkipReason(f"tenants.yaml not usable: {exc}")
    plan = plan_sync(desired, context.instance.get_dynamic_partitions(TENANTS_PARTITION_NAME),
                     _with_history(context.instance), prune=settings.prune_tenants)
    for t in plan.kept_with_history:
        context.log.warning(f"tenant {t!r} left tenants.yaml but has history; keeping its partition "
                            f"(set TENANTGUARD_PRUNE_TENANTS=1 to delete)")
    if not plan.add and not plan.delete:
        return SkipReason(f"{len(desired)} tenants already in step with tenants.yaml")
    requests = []
    if plan.add:
        requests.append(tenants_partitions.build_add_request(plan.add))
    if plan.delete:
        requests.append(tenants_partitions.build_delete_request(plan.delete))
    context.log.info(f"adding {len(plan.add)}, deleting {len(plan.delete)}, {plan.remaining} left for later ticks")
    return SensorResult(dynamic_partitions_requests=requests)

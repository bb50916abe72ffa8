"""`production_watch_sensor`: inference log -> deviation -> rollback run; cross-tenant leak -> kill switch.

Reads the log by cursor (row id), at most MAX_ROWS_PER_TICK a tick. The monitor's bounded state is
saved per cursor value (`<home>/monitoring/production-state-<id>.json`) so a tick that dies before
its cursor is committed is replayed from the matching state: no row missed, and the actions it
derives repeat with the same run keys (Dagster drops duplicates; engaging an engaged switch is a no-op).
"""
import json

from dagster import DefaultSensorStatus, RunRequest, SensorEvaluationContext, SensorResult, SkipReason, sensor

from tenantguard.assets.resource import TenantGuardResource
from tenantguard.assets.runs import ROLLBACK_JOB, rollback_run_config, sensor_tags
from tenantguard.errors import TenantGuardError
from tenantguard.gates.production import watch
from tenantguard.gates.respond import engage_leak_switch
from tenantguard.registry import tags as T


@sensor(job_name=ROLLBACK_JOB, minimum_interval_seconds=30, default_status=DefaultSensorStatus.STOPPED,
        description="Inference log -> rollback on deviation, kill switch on a cross-tenant hit.")
def production_watch_sensor(context: SensorEvaluationContext, tenantguard: TenantGuardResource):
    s = tenantguard.settings()
    cursor = json.loads(context.cursor) if context.cursor else {"last_id": 0}
    try:
        findings, last_id, n = watch(s, tenantguard.tenants(), int(cursor["last_id"]))
    except TenantGuardError as exc:
        return SkipReason(f"cannot read the inference log: {exc}")
    if n == 0:
        return SkipReason(f"no new inference-log rows after id {cursor['last_id']}")
    reg = tenantguard.registry()
    requests, requested = [], set()
    for f in findings:
        if f.kind == "cross_tenant_leak":
            try:
                flip = engage_leak_switch(s, f)
            except TenantGuardError as exc:  # e.g. a feature name no switch scope can hold
                context.log.error(f"cannot engage kill switch for {f.feature}/{f.tenant_id}: {exc}; {f.reason}")
                continue
            context.log.warning(f"kill switch {f.feature}/{f.tenant_id}: {flip.note}: {f.reason}")
            continue
        name = T.model_name(f.feature, f.tenant_id)
        if (name, f.model_version) in requested:
            continue  # later windows of the same incident: one rollback, not one per window
        if reg.alias_version(name, "champion") != f.model_version:
            context.log.info(f"{name} v{f.model_version} deviates but is no longer champion; nothing to roll back")
            continue
        requested.add((name, f.model_version))
        requests.append(RunRequest(
            run_key=f"rollback:{name}:{f.model_version}:{f.last_id}",
            run_config=rollback_run_config(f.tenant_id, f.feature, f.reason, only_if_champion=f.model_version),
            tags=sensor_tags("production_watch", f.tenant_id, **{"tenantguard/evidence": json.dumps(f.metrics)[:1000]})))
    new_cursor = json.dumps({"last_id": last_id})
    if not requests:
        return SensorResult(skip_reason=SkipReason(f"{n} rows up to id {last_id}: no deviation needing a rollback"
                                                   f" ({len(findings)} finding(s))"), cursor=new_cursor)
    return SensorResult(run_requests=requests, cursor=new_cursor)

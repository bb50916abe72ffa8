"""`production_watch_sensor`: inference log -> deviation -> rollback run; cross-tenant leak -> kill switch.

Reads the log by cursor (row id), at most MAX_ROWS_PER_TICK a tick. The monitor's bounded state is
saved per cursor value (`<home>/monitoring/production-state-<id>.json`) so a tick that dies before
its cursor is committed is replayed from the matching state: no row missed, and the actions it
derives repeat with the same run keys (Dagster drops duplicates; engaging an engaged switch is a no-op).
"""
import json

from dagster import DefaultSensorStatus, RunRequest, SensorEvaluationContext, SensorResult, SkipReason, sensor

from tenantguard.errors import TenantGuardError
from tenantguard.pipelines.resources import TenantGuardResource

MAX_ROWS_PER_TICK = 100_000
KEEP_STATES = 3


def load_state(state_dir, last_id: int) -> dict | None:
    path = state_dir / f"production-state-{last_id}.json"
    return json.loads(path.read_text()) if path.exists() else None


def save_state(state_dir, state: dict) -> None:
    state_dir.mkdir(parents=True, exist_ok=True)
    tmp = state_dir / "production-state.tmp"
    tmp.write_text(json.dumps(state))
    tmp.replace(state_dir / f"production-state-{state['last_id']}.json")
    olds = sorted(state_dir.glob("production-state-*.json"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
    for p in olds[:-KEEP_STATES]:
        p.unlink()


def watch(settings, tenants, cursor_id: int, *, max_rows: int = MAX_ROWS_PER_TICK):
    """One evaluation: (findings, new cursor id, rows read). Pure of Dagster so it is benchmarkable."""
    from tenantguard.models.eval_inputs import cached_index
    from tenantguard.monitoring.inference_log import InferenceLog
    from tenantguard.monitoring.production import ProductionMonitor

    state_dir = settings.home / "monitoring"
    state = load_state(state_dir, cursor_id) if cursor_id else None
    if cursor_id and state is None:
        state = {"last_id": cursor_id, "streams": {}}  # state lost: resume from the cursor, fresh references
    monitor = ProductionMonitor(scanner=cached_index(settings, tenants), state=state)
    log, findings, n = InferenceLog(settings.inference_log_url), [], 0
    for batch in log.iter_batches(monitor.last_id, batch=10_000):
        findings.extend(monitor.observe(batch))
        n += len(batch)
        if n >= max_rows:
            break
    save_state(state_dir, monitor.state)
    return findings, monitor.last_id, n


def engage_leak_switch(settings, finding):
    """The tenant's feature switch, once per leak finding (a responder's release is not undone by a replay)."""
    from tenantguard.killswitch.incidents import engage_once
    from tenantguard.killswitch.model import Fallback

    return engage_once(settings.killswitch_url, {"feature": finding.feature, "tenant": finding.tenant_id},
                       incident_id=f"leak:{finding.tenant_id}:{finding.feature}:{finding.first_id}",
                       component="production_watch", reason=finding.reason, fallback=Fallback("previous_version"))


@sensor(job_name="rollback", minimum_interval_seconds=30, default_status=DefaultSensorStatus.RUNNING,
        description="Inference log -> rollback on deviation, kill switch on a cross-tenant hit.")
def production_watch_sensor(context: SensorEvaluationContext, tenantguard: TenantGuardResource):
    from tenantguard.models import registry as R

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
        name = R.model_name(f.feature, f.tenant_id)
        if (name, f.model_version) in requested:
            continue  # later windows of the same incident: one rollback, not one per window
        if reg.alias_version(name, "champion") != f.model_version:
            context.log.info(f"{name} v{f.model_version} deviates but is no longer champion; nothing to roll back")
            continue
        requested.add((name, f.model_version))
        requests.append(RunRequest(
            run_key=f"rollback:{name}:{f.model_version}:{f.last_id}",
            run_config={"ops": {"rollback_op": {"config": {"tenant": f.tenant_id, "feature": f.feature,
                                                           "reason": f.reason[:500], "preview": False,
                                                           "only_if_champion": f.model_version}}}},
            tags={"tenantguard/actor": "sensor:production_watch", "tenantguard/tenant": f.tenant_id,
                  "tenantguard/evidence": json.dumps(f.metrics)[:1000]}))
    new_cursor = json.dumps({"last_id": last_id})
    if not requests:
        return SensorResult(skip_reason=SkipReason(f"{n} rows up to id {last_id}: no deviation needing a rollback"
                                                   f" ({len(findings)} finding(s))"), cursor=new_cursor)
    return SensorResult(run_requests=requests, cursor=new_cursor)

"""`abuse_watch_sensor`: inference log -> abuse detectors -> alerts, kill switches and rollback runs.

Cursor: the last inference-log id scanned. `gates.abuse_scan.scan_abuse` resumes the detector state saved
at the cursor (`<home>/monitoring/abuse-state-<id>.pkl`), so a tick reads only its new rows; with no state
there it rebuilds it from the rows before the cursor, so a fresh process resumes where the last committed
tick stopped. A
tick acts on every finding that includes a row after its cursor, and every action is idempotent, so a
tick that dies before its cursor is committed repeats safely:
- `abuse_alerts` run for the tenant: run key from the (alert id, last row) pairs, Dagster drops repeats;
- kill switch: engaged with incident id `abuse:<alert_id>`; a switch already carrying that incident is
  left alone (engaged stays engaged, and a responder's release of it is respected);
- rollback run: run key `abuse_rollback:<alert_id>`, one per finding, requested only when the rollback can
  apply (a dry run of it succeeds, "already rolled back for this alert" included); otherwise the alert falls
  through to the kill switch, then to alert only (gates.respond), so no run is requested that must fail.
What each alert got is in the tenant's `abuse_alerts` run tag `tenantguard/responses` (alert id -> words).
"""
import hashlib
import json

from dagster import DefaultSensorStatus, RunRequest, SensorEvaluationContext, SensorResult, SkipReason, sensor

from tenantguard.assets.partitions import TENANTS_PARTITION_NAME, tenants_partitions
from tenantguard.assets.resource import TenantGuardResource
from tenantguard.assets.runs import ABUSE_ALERTS_JOB, ROLLBACK_JOB, rollback_run_config, sensor_tags
from tenantguard.errors import TenantGuardError
from tenantguard.gates.respond import ABUSE_COMPONENT, respond_to_abuse

MAX_ROWS_PER_TICK = 100_000
ACTOR = ABUSE_COMPONENT
RESPONSES_TAG = "tenantguard/responses"
MAX_IDS_IN_TAG = 40  # alert ids are 20 characters: whole ids, never one cut in the middle


def read_cursor(cursor: str | None) -> int:
    return int(json.loads(cursor)["last_id"]) if cursor else 0


def alerts_run(tenant: str, alerts, responses: dict[str, str] | None = None) -> RunRequest:
    pairs = sorted(f"{a.alert_id}:{a.last_id}" for a in alerts)
    digest = hashlib.sha256(",".join(pairs).encode()).hexdigest()[:16]
    ids = sorted({a.alert_id for a in alerts})
    return RunRequest(run_key=f"abuse_alerts:{tenant}:{digest}", job_name=ABUSE_ALERTS_JOB, partition_key=tenant,
                      tags=sensor_tags(ACTOR, tenant, **{
                          "tenantguard/alerts": ",".join(ids[:MAX_IDS_IN_TAG]),
                          RESPONSES_TAG: json.dumps({i: responses[i] for i in ids[:MAX_IDS_IN_TAG]
                                                     if i in (responses or {})})}))


def rollback_run(alert, reason: str) -> RunRequest:
    return RunRequest(
        run_key=f"abuse_rollback:{alert.alert_id}", job_name=ROLLBACK_JOB,
        run_config=rollback_run_config(alert.tenant_id, alert.feature, reason),
        tags=sensor_tags(ACTOR, alert.tenant_id, **{"tenantguard/alert": alert.alert_id}))


# Also targets `rollback`: pipelines.definitions attaches both jobs (sensors do not import pipelines).
@sensor(job_name=ABUSE_ALERTS_JOB, minimum_interval_seconds=60,
        default_status=DefaultSensorStatus.STOPPED,
        description="Inference log -> API-abuse alerts (abuse_alerts per tenant), kill switch or rollback by policy.")
def abuse_watch_sensor(context: SensorEvaluationContext, tenantguard: TenantGuardResource):
    from tenantguard.gates.abuse_scan import scan_abuse

    after = read_cursor(context.cursor)
    try:
        s = tenantguard.settings()
        tenants = tenantguard.tenants()
        known = {t.id for t in tenants}
        result = scan_abuse(s, after_id=after, limit=MAX_ROWS_PER_TICK)
    except TenantGuardError as exc:
        return SkipReason(f"cannot scan the inference log after id {after}: {exc}")
    if result.rows == 0:
        return SkipReason(f"No new inference-log rows after id {after}")
    cursor = json.dumps({"last_id": result.last_id})
    by_tenant: dict[str, list] = {}
    for a in result.alerts:
        by_tenant.setdefault(a.tenant_id, []).append(a)
    unknown = sorted(set(by_tenant) - known)
    if unknown:
        context.log.warning(f"abuse alerts for tenant(s) not in tenants.yaml, recorded but not published: {unknown}")
    rollbacks, notes, responses, switched = [], [], {}, 0
    for a in result.alerts:
        done = respond_to_abuse(s, a, tenants=tenants)
        responses[a.alert_id] = done.note
        switched += done.action in ("kill_switch", "block_key")
        if done.action == "rollback":
            rollbacks.append(rollback_run(a, done.reason))
        elif done.policy != "alert":
            notes.append(done.note)
            context.log.warning(f"{a.kind} alert {a.alert_id} ({a.tenant_id}): {done.note}")
    requests = [alerts_run(tenant, by_tenant[tenant], responses) for tenant in sorted(set(by_tenant) & known)]
    requests += rollbacks
    missing = [t for t in sorted(set(by_tenant) & known)
               if not context.instance.has_dynamic_partition(TENANTS_PARTITION_NAME, t)]
    span = f"{result.rows} rows (ids {after + 1}..{result.last_id})"
    if result.not_run:
        context.log.warning(f"{span}: not run on rows without a prompt (content capture off): "
                            + ", ".join(f"{k} ({n} rows)" for k, n in sorted(result.not_run.items())))
    if not requests:
        why = (f"{len(result.alerts)} alert(s) needing no run ({'; '.join(notes) or 'tenants not in tenants.yaml'})"
               if result.alerts else "no abuse alert touches these rows")
        return SensorResult(skip_reason=SkipReason(f"{span}: {why}"), cursor=cursor)
    context.log.info(f"{span}: {len(result.alerts)} alert(s), {len(result.new_alerts)} new; {switched} kill switch "
                     f"response(s); {len(requests)} run request(s)")
    return SensorResult(run_requests=requests, cursor=cursor,
                        dynamic_partitions_requests=[tenants_partitions.build_add_request(missing)] if missing else [])

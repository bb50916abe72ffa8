"""`registry_watch_sensor`: versions of `<feature>.<tenant>` registered outside Dagster get an `evaluate_version` run,
and a `champion` alias moved outside tenantguard onto an ungated version is moved back (gates/champion_guard.py).

Cursor: the newest creation timestamp seen and the versions seen at that timestamp, so none is
missed and none is requested twice (the run key is `<model>/<version>` as well).
"""
import json

from dagster import DefaultSensorStatus, RunRequest, SensorEvaluationContext, SensorResult, SkipReason, sensor

from tenantguard.assets.partitions import TENANTS_PARTITION_NAME
from tenantguard.assets.resource import TenantGuardResource
from tenantguard.assets.runs import EVALUATE_VERSION_JOB, adopt_run_config
from tenantguard.errors import TenantGuardError
from tenantguard.gates.champion_guard import guard_or_skip
from tenantguard.registry import client as R
from tenantguard.registry import tags as T

MAX_REQUESTS_PER_TICK = 200


def new_external_versions(reg: R.Registry, cursor: dict, *, limit: int | None = None,
                          versions: list | None = None) -> tuple[list, dict]:
    """Up to `limit` versions with tenant/feature tags and no tenantguard status (not ours) created after the
    cursor, and the cursor after them: the newest creation time passed and every version seen at it, so a
    page boundary inside one timestamp neither repeats nor skips a version."""
    since, seen = int(cursor.get("ts", 0)), set(cursor.get("seen", []))
    found = reg.all_versions() if versions is None else versions
    fresh = []
    for mv in sorted(found, key=lambda v: (int(v.creation_timestamp), v.name, int(v.version))):
        key = f"{mv.name}/{mv.version}"
        ts = int(mv.creation_timestamp)
        if ts < since or (ts == since and key in seen):
            continue
        tenant, feature = mv.tags.get(T.TAG_TENANT), mv.tags.get(T.TAG_FEATURE)
        external = bool(tenant and feature and tenant != T.BASE_TENANT and mv.name == T.model_name(feature, tenant)
                        and not mv.tags.get(T.TAG_STATUS))
        if external and limit is not None and len(fresh) >= limit:
            break  # the next tick resumes here
        if external:
            fresh.append(mv)
        if ts > since:
            since, seen = ts, set()
        seen.add(key)
    return fresh, {"ts": since, "seen": sorted(seen)}


@sensor(job_name=EVALUATE_VERSION_JOB, minimum_interval_seconds=30, default_status=DefaultSensorStatus.STOPPED,
        description="Requests evaluate_version for each tenant model version registered outside Dagster.")
def registry_watch_sensor(context: SensorEvaluationContext, tenantguard: TenantGuardResource):
    reg = tenantguard.registry()
    try:
        reg.check_reachable()
    except TenantGuardError as exc:
        return SkipReason(str(exc))
    versions = reg.all_versions()
    guarded, failed = guard_or_skip(tenantguard.settings(), reg, versions=versions)
    for g in guarded:  # @champion belongs to the gate (gates/champion_guard.py)
        context.log.warning(f"{g.model}: @champion was moved outside tenantguard onto v{g.intruder}; {g.note}")
    if failed:
        context.log.error(f"champion guard: {failed}")
    cursor = json.loads(context.cursor) if context.cursor else {}
    fresh, new_cursor = new_external_versions(reg, cursor, limit=MAX_REQUESTS_PER_TICK, versions=versions)
    partitions = set(context.instance.get_dynamic_partitions(TENANTS_PARTITION_NAME))
    requests = []
    for mv in fresh:
        tenant, feature = mv.tags[T.TAG_TENANT], mv.tags[T.TAG_FEATURE]
        if tenant not in partitions:
            context.log.warning(f"{mv.name}/{mv.version}: tenant {tenant!r} is not a partition (not in tenants.yaml?)")
            continue
        requests.append(RunRequest(
            run_key=f"{mv.name}/{mv.version}", partition_key=tenant,
            run_config=adopt_run_config(mv.version, feature),
            tags={"tenantguard/model": mv.name, "tenantguard/version": str(mv.version)}))
    if not requests:
        return SensorResult(skip_reason=SkipReason(f"no new externally registered versions (cursor ts {new_cursor['ts']})"),
                            cursor=json.dumps(new_cursor))
    return SensorResult(run_requests=requests, cursor=json.dumps(new_cursor))

"""`dataset_watch_sensor`: a new dataset version file for a tenant requests `tune_and_gate` for it."""
import json

from dagster import DefaultSensorStatus, RunRequest, SensorEvaluationContext, SensorResult, SkipReason, sensor

from tenantguard.assets.partitions import TENANTS_PARTITION_NAME
from tenantguard.assets.resource import TenantGuardResource
from tenantguard.assets.runs import TUNE_AND_GATE_JOB
from tenantguard.home.datasets import newest_versions
from tenantguard.home.prepared import prepared_version


@sensor(job_name=TUNE_AND_GATE_JOB, minimum_interval_seconds=30, default_status=DefaultSensorStatus.STOPPED,
        description="Requests tune_and_gate when a tenant's newest dataset version has not been prepared yet.")
def dataset_watch_sensor(context: SensorEvaluationContext, tenantguard: TenantGuardResource):
    s = tenantguard.settings()
    tenants = context.instance.get_dynamic_partitions(TENANTS_PARTITION_NAME)
    cursor = json.loads(context.cursor) if context.cursor else {}
    newest = newest_versions(s, tenants)
    requests = []
    for tid, version in sorted(newest.items()):
        if cursor.get(tid) == version or prepared_version(s, tid) == version:
            continue
        requests.append(RunRequest(run_key=f"{tid}/{version}", partition_key=tid,
                                   tags={"tenantguard/dataset_version": version}))
    cursor.update(newest)
    if not requests:
        return SensorResult(skip_reason=SkipReason(f"no new dataset versions across {len(newest)} tenants"),
                            cursor=json.dumps(cursor))
    return SensorResult(run_requests=requests, cursor=json.dumps(cursor))

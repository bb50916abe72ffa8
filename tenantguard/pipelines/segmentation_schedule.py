"""`segmentation_job` (segmentation_report for one tenant, on demand) and `segmentation_daily_schedule`
(every tenant, daily at 03:00 UTC; one run per tenant partition, keyed by day so a tick never repeats)."""
from dagster import (AssetSelection, DefaultScheduleStatus, RunRequest, ScheduleEvaluationContext, SkipReason,
                     define_asset_job, schedule)

from tenantguard.assets.partitions import TENANTS_PARTITION_NAME, tenants_partitions

segmentation_job = define_asset_job(
    "segmentation_job", selection=AssetSelection.assets("segmentation_report"), partitions_def=tenants_partitions,
    description="Run the AI-layer segmentation audits (RAG, memory, tools, prompt context) for one tenant.")


@schedule(job=segmentation_job, cron_schedule="0 3 * * *", execution_timezone="UTC",
          default_status=DefaultScheduleStatus.RUNNING,
          description="Daily segmentation audits of every tenant (one run per tenant partition).")
def segmentation_daily_schedule(context: ScheduleEvaluationContext):
    tenants = context.instance.get_dynamic_partitions(TENANTS_PARTITION_NAME)
    if not tenants:
        return SkipReason("No tenant partitions yet; tenant_sync_sensor adds them from tenants.yaml")
    day = context.scheduled_execution_time.strftime("%Y-%m-%d")  # the daemon and the UI's test tick set it
    return [RunRequest(run_key=f"segmentation-{day}-{t}", partition_key=t,
                       tags={"tenantguard/trigger": "segmentation_daily_schedule"}) for t in sorted(tenants)]

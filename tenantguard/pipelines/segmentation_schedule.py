"""`segmentation_job` (segmentation_report for one tenant, on demand) and `segmentation_daily_schedule`
(every tenant, daily at 03:00 UTC by default; one run per tenant partition, keyed by the tick's time so a tick
never repeats). Stopped until someone starts it: a newcomer opening the UI launches nothing."""
from dagster import (AssetSelection, DefaultScheduleStatus, RunRequest, ScheduleDefinition, ScheduleEvaluationContext,
                     SkipReason, define_asset_job, schedule)

from tenantguard.assets.partitions import TENANTS_PARTITION_NAME, tenants_partitions

DAILY_AT_3 = "0 3 * * *"

segmentation_job = define_asset_job(
    "segmentation_job", selection=AssetSelection.assets("segmentation_report"), partitions_def=tenants_partitions,
    description="Run the AI-layer segmentation audits (RAG, memory, tools, prompt context) for one tenant.")


def segmentation_schedule(cron: str = DAILY_AT_3, *,
                          status: DefaultScheduleStatus = DefaultScheduleStatus.STOPPED) -> ScheduleDefinition:
    """The segmentation audits of every tenant on `cron` (UTC); `build_defs` passes the project's choice."""

    @schedule(name="segmentation_daily_schedule", job=segmentation_job, cron_schedule=cron, execution_timezone="UTC",
              default_status=status,
              description=f"Segmentation audits of every tenant ({cron} UTC; one run per tenant partition).")
    def _schedule(context: ScheduleEvaluationContext):
        tenants = context.instance.get_dynamic_partitions(TENANTS_PARTITION_NAME)
        if not tenants:
            return SkipReason("No tenant partitions yet; tenant_sync_sensor adds them from tenants.yaml")
        tick = context.scheduled_execution_time.strftime("%Y-%m-%d" if cron == DAILY_AT_3 else "%Y-%m-%dT%H:%M")
        return [RunRequest(run_key=f"segmentation-{tick}-{t}", partition_key=t,
                           tags={"tenantguard/trigger": "segmentation_daily_schedule"}) for t in sorted(tenants)]

    return _schedule


segmentation_daily_schedule = segmentation_schedule()

"""`abuse_alerts_job`: materialize one tenant's `abuse_alerts` (requested by `abuse_watch_sensor`)."""
from dagster import AssetSelection, define_asset_job

from tenantguard.assets.partitions import tenants_partitions
from tenantguard.assets.runs import ABUSE_ALERTS_JOB

abuse_alerts_job = define_asset_job(
    ABUSE_ALERTS_JOB, selection=AssetSelection.assets("abuse_alerts"), partitions_def=tenants_partitions,
    description="Publish the tenant's deduplicated API-abuse alerts and run the no_open_abuse_alerts check.")

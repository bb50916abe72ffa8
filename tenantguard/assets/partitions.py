"""The one partitioning of tenantguard: a dynamic partition per tenant, synced by `tenant_sync_sensor`."""
import warnings

from dagster import AssetCheckSpec, DynamicPartitionsDefinition, PreviewWarning

TENANTS_PARTITION_NAME = "tenants"
tenants_partitions = DynamicPartitionsDefinition(name=TENANTS_PARTITION_NAME)


def tenant_check(name: str, asset: str, *, description: str, blocking: bool = False) -> AssetCheckSpec:
    """A check evaluated per tenant: each evaluation carries its tenant partition (the UI shows it)."""
    with warnings.catch_warnings():  # partitioned check specs are a Dagster preview; we pin the version
        warnings.simplefilter("ignore", PreviewWarning)
        return AssetCheckSpec(name, asset=asset, description=description, blocking=blocking,
                              partitions_def=tenants_partitions)

"""One partitioning: a dynamic partition per tenant; per-tenant checks carry it without preview warnings."""
import warnings

from dagster import AssetKey, DynamicPartitionsDefinition

from tenantguard.assets.partitions import TENANTS_PARTITION_NAME, tenant_check, tenants_partitions
from tenantguard.pipelines.definitions import defs


def test_tenants_are_one_dynamic_partitions_definition_named_tenants():
    assert isinstance(tenants_partitions, DynamicPartitionsDefinition)
    assert tenants_partitions.name == TENANTS_PARTITION_NAME == "tenants"


def test_a_tenant_check_is_partitioned_by_tenant_and_blocks_only_when_asked():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the preview warning is silenced inside tenant_check
        blocking = tenant_check("cross_tenant_isolation", "isolation_report", description="no leak", blocking=True)
        warning = tenant_check("dataset_drift", "finetune_dataset", description="drift")
    assert blocking.partitions_def == tenants_partitions and warning.partitions_def == tenants_partitions
    assert blocking.asset_key == AssetKey("isolation_report") and blocking.name == "cross_tenant_isolation"
    assert blocking.blocking and not warning.blocking and blocking.description == "no leak"


def test_every_per_tenant_asset_of_the_code_location_uses_the_one_partitioning():
    partitioned = [spec for spec in defs.resolve_all_asset_specs() if spec.partitions_def is not None]
    assert partitioned and all(spec.partitions_def == tenants_partitions for spec in partitioned)

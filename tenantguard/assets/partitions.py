"""The one partitioning of tenantguard: a dynamic partition per tenant, synced by `tenant_sync_sensor`."""
from dagster import DynamicPartitionsDefinition

TENANTS_PARTITION_NAME = "tenants"
tenants_partitions = DynamicPartitionsDefinition(name=TENANTS_PARTITION_NAME)

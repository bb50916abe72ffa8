"""The code location: `dagster dev -m tenantguard.pipelines.definitions` (or workspace.yaml)."""
from dagster import Definitions

from tenantguard.assets.datasets import finetune_dataset
from tenantguard.assets.models import base_model, candidate_model
from tenantguard.pipelines.jobs import base_job, tune_and_gate_job
from tenantguard.pipelines.resources import TenantGuardResource
from tenantguard.sensors.tenant_sync import tenant_sync_sensor

defs = Definitions(
    assets=[base_model, finetune_dataset, candidate_model],
    jobs=[base_job, tune_and_gate_job],
    sensors=[tenant_sync_sensor],
    resources={"tenantguard": TenantGuardResource()},
)

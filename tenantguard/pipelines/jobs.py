"""Jobs of the code location."""
from dagster import AssetSelection, define_asset_job

from tenantguard.assets.partitions import tenants_partitions

base_job = define_asset_job("base_job", selection=AssetSelection.assets("base_model"),
                            description="Train and register the shared base model(s).")

TUNE_AND_GATE_ASSETS = ["finetune_dataset", "candidate_model"]

tune_and_gate_job = define_asset_job(
    "tune_and_gate", selection=AssetSelection.assets(*TUNE_AND_GATE_ASSETS), partitions_def=tenants_partitions,
    description="Prepare the tenant's dataset, tune a candidate, evaluate it and promote it if every gate passes.")

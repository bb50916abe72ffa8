"""Jobs of the code location."""
from dagster import AssetSelection, define_asset_job

from tenantguard.assets.partitions import tenants_partitions
from tenantguard.assets.runs import EVALUATE_VERSION_JOB, TUNE_AND_GATE_JOB

base_job = define_asset_job("base_job", selection=AssetSelection.assets("base_model"),
                            description="Train and register the shared base model(s).")

GATE_ASSETS = ["isolation_report", "behavior_report", "champion_model"]

tune_and_gate_job = define_asset_job(
    TUNE_AND_GATE_JOB, selection=AssetSelection.assets("finetune_dataset", "candidate_model", *GATE_ASSETS),
    partitions_def=tenants_partitions,
    description="Prepare the tenant's dataset, tune a candidate, evaluate it and promote it if every gate passes.")

evaluate_version_job = define_asset_job(
    EVALUATE_VERSION_JOB, selection=AssetSelection.assets("candidate_model", *GATE_ASSETS),
    partitions_def=tenants_partitions,
    description="Evaluate a version registered outside Dagster (config: candidate_model.adopt_version) and "
                "promote it through the same gates.")

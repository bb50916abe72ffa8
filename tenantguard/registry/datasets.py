"""Prepared datasets in MLflow: one run per prepared digest, the train split logged as a training input."""
from __future__ import annotations

from tenantguard.home.prepared import PreparedData
from tenantguard.registry.client import Registry
from tenantguard.registry.tags import TAG_DIGEST, TAG_TENANT, tenant_experiment


def log_prepared_dataset(reg: Registry, prepared: PreparedData) -> None:
    """Log the dataset once per digest (a rerun finds the run and does nothing)."""
    import mlflow

    reg.check_reachable()
    exp = reg.experiment_id(tenant_experiment(prepared.tenant_id))
    found = reg.client.search_runs([exp], f"tags.`{TAG_DIGEST}` = '{prepared.digest}' and tags.kind = 'dataset'",
                                   max_results=1)
    if found:
        return
    with mlflow.start_run(experiment_id=exp, run_name=f"dataset {prepared.version}",
                          tags={TAG_TENANT: prepared.tenant_id, TAG_DIGEST: prepared.digest, "kind": "dataset"}):
        reg.log_dataset_input(prepared.train, name=f"{prepared.tenant_id}/{prepared.version}",
                              source=str(prepared.train_path), digest=prepared.digest)
        mlflow.log_metrics({"kept": prepared.kept, "quarantined": prepared.quarantined,
                            "rejected_share": prepared.rejected_share})

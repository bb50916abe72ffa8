"""`base_model` (shared) and `candidate_model` (per tenant): thin wrappers over models.training."""

from dagster import AssetExecutionContext, Failure, MaterializeResult, MetadataValue, asset

from tenantguard.assets.datasets import finetune_dataset
from tenantguard.assets.partitions import tenants_partitions
from tenantguard.errors import TenantGuardError
from tenantguard.pipelines.resources import TenantGuardResource


@asset(group_name="shared", description="The shared base model, registered as `<feature>.base` @champion.")
def base_model(context: AssetExecutionContext, tenantguard: TenantGuardResource) -> MaterializeResult:
    from tenantguard.models.training import register_base

    s, reg = tenantguard.settings(), tenantguard.registry()
    try:
        reg.check_reachable()
        features = sorted({f for t in tenantguard.tenants() for f in t.features})
        done = [register_base(s, reg, f) for f in features]
    except TenantGuardError as exc:
        raise Failure(description=str(exc)) from None
    return MaterializeResult(metadata={
        "models": MetadataValue.md("\n".join(f"- `{r.name}` v{r.version}{' (reused)' if r.reused else ''}"
                                             for r in done)),
        "features": len(done)})


@asset(partitions_def=tenants_partitions, group_name="tenant_pipeline", deps=[finetune_dataset, base_model],
       description="Fine-tunes the base on the tenant's prepared train split; registers `<feature>.<tenant>` "
                   "@candidate with lineage to the dataset.")
def candidate_model(context: AssetExecutionContext, tenantguard: TenantGuardResource) -> MaterializeResult:
    from tenantguard.models.prepare import load_prepared
    from tenantguard.models.training import register_candidate

    s, reg = tenantguard.settings(), tenantguard.registry()
    try:
        reg.check_reachable()
        tenant = tenantguard.tenant(context.partition_key)
        prepared = load_prepared(s, tenant.id)
        done = [register_candidate(s, reg, prepared, f, dagster_run_id=context.run_id) for f in tenant.features]
    except TenantGuardError as exc:
        raise Failure(description=str(exc)) from None
    first = done[0]
    return MaterializeResult(metadata={
        "model": first.name, "version": first.version, "model_uri": first.uri, "mlflow_run_id": first.run_id,
        "dataset_digest": prepared.digest, "reused": first.reused,
        "all_versions": MetadataValue.json({r.name: r.version for r in done})})

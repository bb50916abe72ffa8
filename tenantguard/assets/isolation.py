"""`isolation_report`: cross-tenant leakage audit of the candidate (and of the base it was tuned from),
with the blocking check `cross_tenant_isolation`."""
from dagster import (AssetCheckResult, AssetCheckSeverity, AssetCheckSpec, AssetExecutionContext, Failure,
                     MaterializeResult, MetadataValue, asset)

from tenantguard.assets.metadata import md_table
from tenantguard.assets.partitions import tenants_partitions
from tenantguard.errors import TenantGuardError
from tenantguard.pipelines.resources import TenantGuardResource


@asset(partitions_def=tenants_partitions, group_name="tenant_pipeline", deps=["candidate_model"],
       check_specs=[AssetCheckSpec("cross_tenant_isolation", asset="isolation_report", blocking=True,
                                   description="No other tenant's data (canaries, records, system prompt) leaks "
                                               "through the candidate or its base, at family-wise alpha")],
       description="Exposure, membership inference and extraction audit of the candidate against every other tenant.")
def isolation_report(context: AssetExecutionContext, tenantguard: TenantGuardResource) -> MaterializeResult:
    from tenantguard.models.isolation_eval import evaluate_isolation

    try:
        tenant = tenantguard.tenant(context.partition_key)
        results = [evaluate_isolation(tenantguard.settings(), tenantguard.registry(), tenantguard.tenants(), tenant,
                                      feature, run_id=context.run_id) for feature in tenant.features]
    except TenantGuardError as exc:
        raise Failure(description=str(exc)) from None
    r = results[0]
    passed = all(x.verdict == "passed" for x in results)
    reasons = "; ".join(x.reason for x in results)
    numeric = {k: float(v) for k, v in r.metrics.items() if v == v}  # NaN-free numeric metadata for UI plots
    check = AssetCheckResult(check_name="cross_tenant_isolation", passed=passed, severity=AssetCheckSeverity.ERROR,
                             description=reasons[:1000],
                             metadata={"verdict": r.verdict, "failed_sources": ", ".join(r.failed_sources) or "none",
                                       "model_version": r.version, "mlflow_run_id": r.mlflow_run_id})
    return MaterializeResult(metadata={
        **numeric, "verdict": r.verdict, "model": r.name, "model_version": r.version,
        "mlflow_run_id": r.mlflow_run_id,
        "per_source": MetadataValue.md(md_table(r.rows)),
        "base_audit": r.base_summary}, check_results=[check])


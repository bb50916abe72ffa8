"""`behavior_report`: probe suites under the tenant's configuration vs the champion's baseline, with the
blocking check `behavioral_baseline`."""
from dagster import (AssetCheckResult, AssetCheckSeverity, AssetCheckSpec, AssetExecutionContext, Failure,
                     MaterializeResult, MetadataValue, asset)

from tenantguard.assets.metadata import md_table
from tenantguard.assets.partitions import tenants_partitions
from tenantguard.errors import TenantGuardError
from tenantguard.pipelines.resources import TenantGuardResource


@asset(partitions_def=tenants_partitions, group_name="tenant_pipeline", deps=["candidate_model"],
       check_specs=[AssetCheckSpec("behavioral_baseline", asset="behavior_report", blocking=True,
                                   description="Behavior under the tenant's configuration stays within the rules "
                                               "and drift tests against the champion's baseline")],
       description="Generic, tenant-configuration and adversarial probes; descriptors vs the champion's baseline.")
def behavior_report(context: AssetExecutionContext, tenantguard: TenantGuardResource) -> MaterializeResult:
    from tenantguard.models.behavior_eval import evaluate_behavior

    try:
        tenant = tenantguard.tenant(context.partition_key)
        results = [evaluate_behavior(tenantguard.settings(), tenantguard.registry(), tenantguard.tenants(), tenant,
                                     f, run_id=context.run_id) for f in tenant.features]
    except TenantGuardError as exc:
        raise Failure(description=str(exc)) from None
    r = results[0]
    passed = all(x.verdict == "passed" for x in results)
    check = AssetCheckResult(check_name="behavioral_baseline", passed=passed, severity=AssetCheckSeverity.ERROR,
                             description="; ".join(x.reason for x in results)[:1000],
                             metadata={"verdict": r.verdict, "status": r.status, "baseline": r.baseline_note,
                                       "model_version": r.version})
    numeric = {k: float(v) for k, v in r.metrics.items() if v == v}
    return MaterializeResult(metadata={
        **numeric, "verdict": r.verdict, "status": r.status, "model": r.name, "model_version": r.version,
        "baseline": r.baseline_note, "mlflow_run_id": r.mlflow_run_id,
        "evidently_report": MetadataValue.url(r.html_uri) if r.html_uri else "not compared (no baseline)",
        "tests": MetadataValue.md(md_table(r.rows))}, check_results=[check])

"""`behavior_report`: probe suites under the tenant's configuration vs the champion's baseline, with the
blocking check `behavioral_baseline`."""
from dagster import AssetExecutionContext, MetadataValue, asset

from tenantguard.assets.batch import TenantBatch, failing_step, step_inputs, tenant_backfill_policy
from tenantguard.assets.metadata import md_table, plottable
from tenantguard.assets.partitions import tenant_check, tenants_partitions
from tenantguard.assets.resource import TenantGuardResource, gated_tenant


@asset(partitions_def=tenants_partitions, backfill_policy=tenant_backfill_policy(), group_name="tenant_pipeline",
       deps=["candidate_model"],
       check_specs=[tenant_check("behavioral_baseline", "behavior_report", blocking=True,
                                 description="Behavior under the tenant's configuration stays within the rules "
                                             "and drift tests against the champion's baseline")],
       description="Generic, tenant-configuration and adversarial probes; descriptors vs the champion's baseline.")
def behavior_report(context: AssetExecutionContext, tenantguard: TenantGuardResource):
    from tenantguard.gates.behavior import evaluate_behavior

    batch = TenantBatch(context)
    s, reg, tenants = step_inputs(tenantguard)
    for tid in batch.live():
        with failing_step(tid):
            tenant = gated_tenant(tenants, tid)
            results = [evaluate_behavior(s, reg, tenants, tenant, f, run_id=context.run_id) for f in tenant.features]
        r = results[0]
        batch.check(tid, "behavioral_baseline", all(x.verdict == "passed" for x in results),
                    "; ".join(x.reason for x in results),
                    metadata={**plottable({k: v for k, v in r.metrics.items() if k.startswith("test.")}),
                              "tests_failed": int(r.metrics.get("tests_failed", 0)), "verdict": r.verdict,
                              "status": r.status, "baseline": r.baseline_note,
                              "model_version": r.version})
        batch.record(tid, {
            **plottable(r.metrics), "verdict": r.verdict, "status": r.status, "model": r.name,
            "model_version": r.version,
            "baseline": r.baseline_note, "mlflow_run_id": r.mlflow_run_id,
            "evidently_report": MetadataValue.url(r.html_uri) if r.html_uri else "not compared (no baseline)",
            "tests": MetadataValue.md(md_table(r.rows))})
    yield from batch.results()

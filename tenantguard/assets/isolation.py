"""`isolation_report`: cross-tenant leakage audit of the candidate (and of the base it was tuned from),
with the blocking check `cross_tenant_isolation`."""
from dagster import AssetExecutionContext, MetadataValue, asset

from tenantguard.assets.batch import TenantBatch, failing_step, step_inputs, tenant_backfill_policy
from tenantguard.assets.metadata import isolation_check_numbers, md_table, plottable
from tenantguard.assets.partitions import tenant_check, tenants_partitions
from tenantguard.assets.resource import TenantGuardResource, gated_tenant


@asset(partitions_def=tenants_partitions, backfill_policy=tenant_backfill_policy(), group_name="tenant_pipeline",
       deps=["candidate_model"],
       check_specs=[tenant_check("cross_tenant_isolation", "isolation_report", blocking=True,
                                 description="No other tenant's data (canaries, records, system prompt) leaks "
                                             "through the candidate or its base, at family-wise alpha")],
       description="Exposure, membership inference and extraction audit of the candidate against every other tenant.")
def isolation_report(context: AssetExecutionContext, tenantguard: TenantGuardResource):
    from tenantguard.gates.isolation import evaluate_isolation

    batch = TenantBatch(context)
    s, reg, tenants = step_inputs(tenantguard)
    for tid in batch.live():
        with failing_step(tid):
            tenant = gated_tenant(tenants, tid)
            results = [evaluate_isolation(s, reg, tenants, tenant, feature, run_id=context.run_id)
                       for feature in tenant.features]
        r = results[0]
        batch.check(tid, "cross_tenant_isolation", all(x.verdict == "passed" for x in results),
                    "; ".join(x.reason for x in results),
                    metadata={**isolation_check_numbers(r.metrics), "verdict": r.verdict,
                              "failed_sources": ", ".join(r.failed_sources) or "none",
                              "model_version": r.version, "mlflow_run_id": r.mlflow_run_id,
                              "power_statement": r.power or "not measured"})
        batch.record(tid, {**plottable(r.metrics), "verdict": r.verdict, "model": r.name, "model_version": r.version,
                           "mlflow_run_id": r.mlflow_run_id, "per_source": MetadataValue.md(md_table(r.rows)),
                           "base_audit": r.base_summary})
    yield from batch.results()

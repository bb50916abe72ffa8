"""`finetune_dataset`: the tenant's newest dataset, validated, quarantined, split, canary-planted, logged."""

from dagster import AssetCheckSeverity, AssetExecutionContext, MetadataValue, asset

from tenantguard.assets.batch import TenantBatch, failing_step, step_inputs, tenant_backfill_policy
from tenantguard.assets.metadata import plottable
from tenantguard.assets.partitions import tenant_check, tenants_partitions
from tenantguard.assets.resource import TenantGuardResource
from tenantguard.tenants import tenant_by_id


@asset(
    partitions_def=tenants_partitions,
    backfill_policy=tenant_backfill_policy(),
    group_name="tenant_pipeline",
    check_specs=[tenant_check("dataset_valid", "finetune_dataset", blocking=True,
                              description="Rejected share within the limit and no record claims another tenant"),
                 tenant_check("dataset_drift", "finetune_dataset",
                              description="Warning: the new version's descriptors drifted from the previous one")],
    description="Newest dataset version: normalized, validated (GX), quarantined, split, canaries planted.",
)
def finetune_dataset(context: AssetExecutionContext, tenantguard: TenantGuardResource):
    batch = TenantBatch(context)
    s, reg, tenants = step_inputs(tenantguard)
    for tid in batch.live():
        with failing_step(tid):
            _prepare_one(batch, reg, s, tenant_by_id(tenants, tid), tenants)
    yield from batch.results(materialize_blocked=False)


def _prepare_one(batch: TenantBatch, reg, s, tenant, tenants) -> None:
    from tenantguard.gates.datasets import prepare_and_log

    previous, prepared, verdict = prepare_and_log(s, reg, tenant, tenants, run_id=batch.context.run_id)
    batch.check(tenant.id, "dataset_valid", verdict.passed, verdict.reason, metadata={
        **plottable({"rejected_share": prepared.rejected_share, "limit": verdict.limit}),
        "foreign_tenant_records": len(prepared.foreign_tenant_lines),
        "quarantined": prepared.quarantined, **{f"gx: {k}": v for k, v in prepared.expectations.items()}})
    _drift_check(batch, previous, prepared)
    batch.record(tenant.id, {
        "version": prepared.version, "digest": prepared.digest, "kept": prepared.kept,
        "quarantined": prepared.quarantined, "train_records": len(prepared.train),
        "holdout_records": len(prepared.holdout), "train_path": MetadataValue.path(str(prepared.train_path)),
        "quarantine_path": MetadataValue.path(str(prepared.quarantine_path or "")),
        **plottable({"rejected_share": prepared.rejected_share})})


def _drift_check(batch: TenantBatch, previous, prepared) -> None:
    from tenantguard.evaluations.canaries import is_canary_record
    from tenantguard.evaluations.dataset_drift import dataset_drift

    if previous is None or previous.digest == prepared.digest:
        why = "first prepared version" if previous is None else "same data as before"
        batch.check(prepared.tenant_id, "dataset_drift", True, f"nothing to compare: {why}",
                    severity=AssetCheckSeverity.WARN)
        return
    records = lambda p: [r for r in (*p.train, *p.holdout) if not is_canary_record(r)]  # noqa: E731
    report = dataset_drift(records(previous), records(prepared), html=False)
    drifted = report.drifted_columns
    batch.check(prepared.tenant_id, "dataset_drift", report.status == "passed",
                (f"drifted from {previous.version}: {', '.join(drifted)}" if drifted else report.reason)[:500],
                # the report's own `drifted_columns` is a count: the names shown here take its place
                metadata={**plottable(report.metrics()), "previous_version": previous.version,
                          "drifted_columns": ", ".join(drifted) or "none"}, severity=AssetCheckSeverity.WARN)


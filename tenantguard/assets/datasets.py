"""`finetune_dataset`: the tenant's newest dataset, validated, quarantined, split, canary-planted, logged."""

from dagster import AssetCheckSeverity, AssetExecutionContext, MetadataValue, asset

from tenantguard.assets.batch import TenantBatch, failing_step, step_inputs, tenant_backfill_policy
from tenantguard.assets.partitions import tenant_check, tenants_partitions
from tenantguard.errors import TenantGuardError
from tenantguard.pipelines.resources import TenantGuardResource
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
    yield from batch.results()


def _prepare_one(batch: TenantBatch, reg, s, tenant, tenants) -> None:
    from tenantguard.models.prepare import load_prepared, prepare_dataset

    try:
        previous = load_prepared(s, tenant.id)
    except TenantGuardError:
        previous = None
    prepared = prepare_dataset(s, tenant, tenants=tenants)
    _log_to_mlflow(reg, prepared)
    limit = s.thresholds.max_rejected_share
    foreign = prepared.foreign_tenant_lines
    passed = prepared.rejected_share <= limit and not foreign
    reason = ("ok" if passed else
              f"{len(foreign)} record(s) claim another tenant or carry its data (lines {foreign[:10]})" if foreign else
              f"rejected share {prepared.rejected_share:.2%} exceeds limit {limit:.2%}")
    batch.check(tenant.id, "dataset_valid", passed, reason, metadata={
        "rejected_share": prepared.rejected_share, "limit": limit, "foreign_tenant_records": len(foreign),
        "quarantined": prepared.quarantined, **{f"gx: {k}": v for k, v in prepared.expectations.items()}})
    _drift_check(batch, previous, prepared)
    batch.record(tenant.id, {
        "version": prepared.version, "digest": prepared.digest, "kept": prepared.kept,
        "quarantined": prepared.quarantined, "train_records": len(prepared.train),
        "holdout_records": len(prepared.holdout), "train_path": MetadataValue.path(str(prepared.train_path)),
        "quarantine_path": MetadataValue.path(str(prepared.quarantine_path or "")),
        "rejected_share": prepared.rejected_share})


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
                metadata={"previous_version": previous.version, "drifted_columns": ", ".join(drifted) or "none",
                          **report.metrics()}, severity=AssetCheckSeverity.WARN)


def _log_to_mlflow(reg, prepared) -> None:
    """One MLflow run per prepared digest, the dataset logged as a training input (reused on rerun)."""
    import mlflow

    from tenantguard.models.registry import TAG_DIGEST, TAG_TENANT

    reg.check_reachable()
    exp = reg.experiment_id(f"tenantguard/{prepared.tenant_id}")
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

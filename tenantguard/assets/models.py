"""`base_model` (shared) and `candidate_model` (per tenant): thin wrappers over gates.tune (the configured tuner)."""

from typing import Optional

from dagster import (AssetCheckResult, AssetCheckSeverity, AssetCheckSpec, AssetExecutionContext, Config, Failure,
                     MaterializeResult, MetadataValue, asset)

from tenantguard.assets.batch import TenantBatch, failing_step, step_inputs, tenant_backfill_policy
from tenantguard.assets.datasets import finetune_dataset
from tenantguard.assets.partitions import tenants_partitions
from tenantguard.assets.resource import TenantGuardResource, gated_tenant
from tenantguard.errors import TenantGuardError


@asset(group_name="shared",
       check_specs=[AssetCheckSpec("base_isolation", asset="base_model", blocking=True,
                                   description="The shared base holds no tenant's fine-tuning data")],
       description="The shared base model `<feature>.base`; it becomes @champion only if it holds no tenant's data.")
def base_model(context: AssetExecutionContext, tenantguard: TenantGuardResource) -> MaterializeResult:
    from tenantguard.gates.tune import register_base

    s, reg = tenantguard.settings(), tenantguard.registry()
    try:
        reg.check_reachable()
        tenants = tenantguard.tenants()
        features = sorted({f for t in tenants for f in t.features})
        done = [register_base(s, reg, f, tenants, run_id=context.run_id) for f in features]
    except TenantGuardError as exc:
        raise Failure(description=str(exc)) from None
    bad = [o for o in done if o.audit_verdict not in ("passed", "not_run")]
    check = AssetCheckResult(
        check_name="base_isolation", passed=not bad, severity=AssetCheckSeverity.ERROR,
        description="; ".join(f"{o.registered.name} v{o.registered.version}: {o.audit_summary}" for o in done)[:1000],
        metadata={"verdicts": MetadataValue.json({o.registered.name: o.audit_verdict for o in done})})
    return MaterializeResult(metadata={
        "models": MetadataValue.md("\n".join(
            f"- `{o.registered.name}` v{o.registered.version}{' (reused)' if o.registered.reused else ''}: "
            f"audit {o.audit_verdict}, champion v{o.champion}" for o in done)),
        "features": len(done)}, check_results=[check])


class CandidateConfig(Config):
    """Empty: tune with the configured tuner. `adopt_version`: evaluate a version registered elsewhere."""

    adopt_version: Optional[str] = None
    feature: Optional[str] = None


@asset(partitions_def=tenants_partitions, backfill_policy=tenant_backfill_policy(), group_name="tenant_pipeline",
       deps=[finetune_dataset, base_model],
       description="Fine-tunes the base on the tenant's prepared train split; registers `<feature>.<tenant>` "
                   "@candidate with lineage to the dataset.")
def candidate_model(context: AssetExecutionContext, config: CandidateConfig, tenantguard: TenantGuardResource):
    from tenantguard.errors import DatasetInvalid
    from tenantguard.gates.tune import register_candidate
    from tenantguard.home.prepared import load_prepared
    from tenantguard.registry.versions import adopt_candidate

    batch = TenantBatch(context)
    if config.adopt_version and batch.is_batch:
        raise Failure(description=f"adopt_version {config.adopt_version} names one version of one tenant; "
                                  f"this run covers {len(batch.tenants)} tenants: run one partition")
    s, reg, tenants = step_inputs(tenantguard)
    for tid in batch.live():
        with failing_step(tid):
            reg.check_reachable()
            tenant = gated_tenant(tenants, tid)
            if config.adopt_version:
                done = [adopt_candidate(reg, tenant, config.feature or tenant.features[0], config.adopt_version)]
                digest = done[0].dataset_digest
            else:
                prepared = load_prepared(s, tenant.id)
                try:
                    _refuse_invalid_dataset(prepared, s.thresholds.max_rejected_share)
                except DatasetInvalid as exc:
                    if not batch.is_batch:
                        raise
                    batch.hold(tid, str(exc))
                    continue
                done = [register_candidate(s, reg, prepared, f, dagster_run_id=context.run_id)
                        for f in tenant.features]
                digest = prepared.digest
        first = done[0]
        batch.record(tid, {
            "model": first.name, "version": first.version, "model_uri": first.uri,
            "mlflow_run_id": first.run_id or "", "dataset_digest": digest or "", "reused": first.reused,
            "adopted": bool(config.adopt_version), "all_versions": MetadataValue.json({r.name: r.version for r in done})})
    yield from batch.results()


def _refuse_invalid_dataset(prepared, limit: float) -> None:
    """The blocking `dataset_valid` stops its own run only; a later candidate-only run must not tune either."""
    from tenantguard.errors import DatasetInvalid

    foreign = prepared.foreign_tenant_lines
    if foreign or prepared.rejected_share > limit:
        why = (f"{len(foreign)} record(s) claim another tenant (lines {foreign[:10]})" if foreign else
               f"rejected share {prepared.rejected_share:.2%} exceeds limit {limit:.2%}")
        raise DatasetInvalid(f"prepared dataset {prepared.tenant_id}/{prepared.version} ({prepared.digest}) failed "
                             f"dataset_valid: {why}; fix {prepared.source_path} and rematerialize finetune_dataset")

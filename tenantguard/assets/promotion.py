"""`champion_model`: promotion, downstream of every blocking check. Re-points `champion`, reads it back,
tags the versions and writes the audit log.

It materializes only the tenants it promoted (or found already promoted): a tenant held back in a batched
run, or whose version the registry refuses, gets no materialization and fails the run by name."""
from dagster import AssetExecutionContext, AssetMaterialization, Failure, MetadataValue, asset

from tenantguard.assets.batch import TenantBatch, failing_step, step_inputs, tenant_backfill_policy
from tenantguard.assets.partitions import tenants_partitions
from tenantguard.assets.resource import TenantGuardResource, gated_tenant
from tenantguard.errors import TenantGuardError

GATED_BY = ["isolation_report", "behavior_report"]


@asset(partitions_def=tenants_partitions, backfill_policy=tenant_backfill_policy(), group_name="tenant_pipeline",
       deps=GATED_BY, output_required=False,
       description="Promotes the candidate to `champion` when every blocking check passed (audited).")
def champion_model(context: AssetExecutionContext, tenantguard: TenantGuardResource):
    from tenantguard.registry import tags as T
    from tenantguard.registry.promotion import PromotionRefused, audit_to_log, promote

    batch = TenantBatch(context)
    s, reg, tenants = step_inputs(tenantguard)
    with failing_step("audit log"):
        audit = audit_to_log(s, actor="dagster:champion_model")
    for tid in batch.live():
        moves = []
        with failing_step(tid):
            reg.check_reachable()
            try:
                for feature in gated_tenant(tenants, tid).features:
                    name = T.model_name(feature, tid)
                    version = reg.alias_version(name, "candidate")
                    if version is None:
                        raise TenantGuardError(f"{name} has no `candidate` alias: run candidate_model first")
                    moves.append(promote(reg, name, version, audit, run_id=context.run_id))
            except PromotionRefused as exc:
                batch.hold(tid, str(exc))
                continue
        m = moves[0]
        yield AssetMaterialization(asset_key=context.asset_key, partition=tid, metadata={
            "model": m.name, "champion": m.after or "", "previous_champion": m.before or "", "changed": m.changed,
            "note": m.note, "all": MetadataValue.json({x.name: {"from": x.before, "to": x.after, "note": x.note}
                                                       for x in moves})})
    if batch.held:
        raise Failure(description=f"{len(batch.held)} of {len(batch.tenants)} tenant(s) not promoted: "
                                  + "; ".join(f"{t}: {why}" for t, why in sorted(batch.held.items()))[:2000])

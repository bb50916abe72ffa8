"""`champion_model`: promotion, downstream of every blocking check. Re-points `champion`, reads it back,
tags the versions and writes the audit log."""
from dagster import AssetExecutionContext, Failure, MaterializeResult, MetadataValue, asset

from tenantguard.assets.partitions import tenants_partitions
from tenantguard.errors import TenantGuardError
from tenantguard.pipelines.resources import TenantGuardResource

GATED_BY = ["isolation_report", "behavior_report"]


@asset(partitions_def=tenants_partitions, group_name="tenant_pipeline", deps=GATED_BY,
       description="Promotes the candidate to `champion` when every blocking check passed (audited).")
def champion_model(context: AssetExecutionContext, tenantguard: TenantGuardResource) -> MaterializeResult:
    from tenantguard.models import registry as R
    from tenantguard.models.promotion import audit_to_log, promote

    s, reg = tenantguard.settings(), tenantguard.registry()
    moves = []
    try:
        reg.check_reachable()
        tenant = tenantguard.tenant(context.partition_key)
        audit = audit_to_log(s, actor="dagster:champion_model")
        for feature in tenant.features:
            name = R.model_name(feature, tenant.id)
            version = reg.alias_version(name, "candidate")
            if version is None:
                raise TenantGuardError(f"{name} has no `candidate` alias: run candidate_model first")
            moves.append(promote(reg, name, version, audit, run_id=context.run_id))
    except TenantGuardError as exc:
        raise Failure(description=str(exc)) from None
    m = moves[0]
    return MaterializeResult(metadata={
        "model": m.name, "champion": m.after or "", "previous_champion": m.before or "", "changed": m.changed,
        "note": m.note, "all": MetadataValue.json({x.name: {"from": x.before, "to": x.after, "note": x.note}
                                                   for x in moves})})

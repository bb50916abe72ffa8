"""The `rollback` job: same semantics as `tenantguard rollback` (pick, preview, re-point, tag, audit)."""
from typing import Optional

from dagster import Config, Failure, OpExecutionContext, in_process_executor, job, op

from tenantguard.assets.resource import TenantGuardResource
from tenantguard.assets.runs import ACTOR_TAG, ROLLBACK_JOB, ROLLBACK_OP
from tenantguard.errors import TenantGuardError


class RollbackConfig(Config):
    tenant: str
    reason: str
    feature: Optional[str] = None
    target_version: Optional[str] = None
    dry_run: bool = False
    preview: bool = True
    only_if_champion: Optional[str] = None  # the deviating version: a no-op once it is no longer champion


@op(name=ROLLBACK_OP, description="Roll the tenant's champion back to the last version that passed and was promoted.")
def rollback_op(context: OpExecutionContext, config: RollbackConfig, tenantguard: TenantGuardResource) -> dict:
    from tenantguard.gates.rollback import run_rollback

    actor = context.run.tags.get(ACTOR_TAG, "dagster:rollback")
    try:
        out = run_rollback(tenantguard.settings(), tenant_id=config.tenant, reason=config.reason,
                           feature=config.feature, target=config.target_version, dry_run=config.dry_run,
                           actor=actor, run_id=context.run_id, preview=config.preview,
                           only_if_champion=config.only_if_champion)
    except TenantGuardError as exc:
        raise Failure(description=str(exc)) from None
    context.log.info(out.summary())
    context.add_output_metadata({"model": out.move.name, "from": out.move.before or "", "to": out.move.after or "",
                                 "changed": out.move.changed, "note": out.move.note, "preview": out.preview})
    return {"from": out.move.before, "to": out.move.after, "changed": out.move.changed}


# In process everywhere: an incident action must not wait on a busy worker fleet.
@job(executor_def=in_process_executor, name=ROLLBACK_JOB,
     description="Roll a tenant's model back (config: tenant, reason, target_version, dry_run).")
def rollback_job():
    rollback_op()

"""The `kill_switch` job: engage or release a kill switch from Dagster (UI, sensors), audited with the run id."""
from typing import Optional

from dagster import Config, Failure, OpExecutionContext, in_process_executor, job, op

from tenantguard.assets.resource import TenantGuardResource
from tenantguard.assets.runs import ACTOR_TAG, KILL_SWITCH_JOB, KILL_SWITCH_OP
from tenantguard.errors import TenantGuardError


class KillSwitchScopeConfig(Config):
    """Omit a field to mean all (e.g. only `tenant` kills every feature of that tenant in every region)."""

    feature: Optional[str] = None
    tenant: Optional[str] = None
    region: Optional[str] = None


class KillSwitchConfig(Config):
    scope: KillSwitchScopeConfig
    state: str = "engaged"  # engaged | released
    reason: str
    incident_id: Optional[str] = None
    fallback: str = "disable"  # disable | previous_version | safe_response
    fallback_message: Optional[str] = None
    fallback_version: Optional[str] = None
    expires: Optional[str] = None  # 30m, 2h, 1d or an ISO-8601 time
    shadow: bool = False
    allow_global: bool = False


@op(name=KILL_SWITCH_OP, description="Engage or release the kill switch for a scope; the change is audited with this run's id.")
def kill_switch_op(context: OpExecutionContext, config: KillSwitchConfig, tenantguard: TenantGuardResource) -> dict:
    from tenantguard.killswitch.auth import Actor
    from tenantguard.killswitch.scope import Scope, check_known
    from tenantguard.killswitch.store import KillSwitchStore
    from tenantguard.killswitch.switch import Fallback, parse_expiry
    from tenantguard.tenants import load_tenants

    settings = tenantguard.settings()
    actor = Actor.system(context.run.tags.get(ACTOR_TAG, "kill_switch_job"), run_id=context.run_id)
    try:
        if config.state not in ("engaged", "released"):
            raise TenantGuardError(f"config 'state': {config.state!r}; expected engaged or released")
        scope = Scope(feature=config.scope.feature, tenant=config.scope.tenant, region=config.scope.region)
        if settings.tenants_file.exists():
            check_known(scope, load_tenants(settings.tenants_file))
        store = KillSwitchStore.from_settings(settings)
        store.expire_due()
        if config.state == "engaged":
            result = store.engage(
                scope, actor=actor, reason=config.reason, incident_id=config.incident_id,
                fallback=Fallback(config.fallback, config.fallback_message, config.fallback_version),
                expires_at=parse_expiry(config.expires, flag="config 'expires'"), shadow=config.shadow,
                run_id=context.run_id, allow_global=config.allow_global)
        else:
            result = store.release(scope, actor=actor, reason=config.reason, incident_id=config.incident_id,
                                   run_id=context.run_id)
        version = store.version()
    except TenantGuardError as exc:
        raise Failure(description=str(exc)) from None
    sw = result.switch
    note = "changed" if result.changed else f"already {sw.state}; nothing changed"
    context.log.info(f"kill switch {sw.id} ({scope}) {sw.state} by {actor.name}: {note}")
    context.add_output_metadata({"switch_id": sw.id, "scope": str(scope), "state": sw.state, "mode": sw.mode,
                                 "fallback": sw.fallback.mode, "changed": result.changed,
                                 "audit_seq": result.audit_seq or 0, "store_version": version})
    return {"switch_id": sw.id, "state": sw.state, "changed": result.changed, "audit_seq": result.audit_seq}


# In process everywhere: an incident action must not wait on a busy worker fleet.
@job(executor_def=in_process_executor, name=KILL_SWITCH_JOB,
     description="Engage or release a kill switch (config: scope, state, reason, incident_id, "
                                     "fallback).")
def kill_switch_job():
    kill_switch_op()

"""One rollback, shared by the `rollback` Dagster job and `tenantguard rollback`: pick, preview, re-point."""
from __future__ import annotations

from dataclasses import dataclass, field

from tenantguard.config import Settings
from tenantguard.killswitch.auth import Actor
from tenantguard.registry import client as R
from tenantguard.registry import tags as T
from tenantguard.registry.promotion import AliasMove, audit_to_log, rollback, rollback_target
from tenantguard.tenants import load_tenants, tenant_by_id


@dataclass(frozen=True)
class RollbackOutcome:
    move: AliasMove
    preview: dict = field(default_factory=dict)  # behavior numbers: {"current": {...}, "target": {...}}

    def summary(self) -> str:
        m = self.move
        if m.before == m.after:
            return f"{m.name}: champion stays {m.before} ({m.note})"
        return f"{m.name}: champion {m.before} -> {m.after} ({m.note})"


def run_rollback(settings: Settings, *, tenant_id: str, reason: str, actor: Actor | str,
                 feature: str | None = None, target: str | None = None, dry_run: bool = False,
                 run_id: str | None = None, preview: bool = True, only_if_champion: str | None = None,
                 override_reason: str | None = None) -> RollbackOutcome:
    """Roll back as `actor`: a person's Actor (from a token), or the name of the tenantguard component acting
    (the rollback job). POLICY decides: `rollback` needs a responder, serving a rejected or rolled-back
    version again (`override_reason`) an admin."""
    tenant = tenant_by_id(load_tenants(settings.tenants_file), tenant_id)
    feature = feature or tenant.features[0]
    reg = R.Registry(settings.mlflow_tracking_uri, settings.artifact_root)
    reg.check_reachable()
    name = T.model_name(feature, tenant.id)
    numbers = {}
    if preview and (only_if_champion is None or reg.alias_version(name, "champion") == str(only_if_champion)):
        current, to = rollback_target(reg, name, target=target, override=bool(override_reason))
        if to != current:
            numbers = preview_behavior(settings, tenant, name, {"current": current, "target": to})
    audit = audit_to_log(settings, actor=actor)
    audit.authorize("override" if override_reason else "rollback", {"model": name})  # before the preview's cost
    move = rollback(reg, name, reason, audit, target=target, dry_run=dry_run, run_id=run_id,
                    only_if_champion=only_if_champion, override_reason=override_reason)
    return RollbackOutcome(move, numbers)


def preview_behavior(settings: Settings, tenant, name: str, versions: dict[str, str | None]) -> dict:
    """The current behavior suite on each version, side by side (flat metrics per version)."""
    from tenantguard.gates.behavior import behavior_metrics

    return {label: behavior_metrics(settings, tenant, f"models:/{name}/{v}") for label, v in versions.items() if v}

"""One rollback, shared by the `rollback` Dagster job and `tenantguard rollback`: pick, preview, re-point."""
from __future__ import annotations

from dataclasses import dataclass, field

from tenantguard.config import Settings
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


def run_rollback(settings: Settings, *, tenant_id: str, reason: str, feature: str | None = None,
                 target: str | None = None, dry_run: bool = False, actor: str = "cli",
                 run_id: str | None = None, preview: bool = True,
                 only_if_champion: str | None = None) -> RollbackOutcome:
    tenant = tenant_by_id(load_tenants(settings.tenants_file), tenant_id)
    feature = feature or tenant.features[0]
    reg = R.Registry(settings.mlflow_tracking_uri, settings.artifact_root)
    reg.check_reachable()
    name = T.model_name(feature, tenant.id)
    numbers = {}
    if preview and (only_if_champion is None or reg.alias_version(name, "champion") == str(only_if_champion)):
        current, to = rollback_target(reg, name, target=target)
        if to != current:
            numbers = preview_behavior(settings, tenant, name, {"current": current, "target": to})
    move = rollback(reg, name, reason, audit_to_log(settings, actor=actor), target=target, dry_run=dry_run,
                    run_id=run_id, only_if_champion=only_if_champion)
    return RollbackOutcome(move, numbers)


def preview_behavior(settings: Settings, tenant, name: str, versions: dict[str, str | None]) -> dict:
    """The current behavior suite on each version, side by side (flat metrics per version)."""
    from tenantguard.gates.behavior import behavior_metrics

    return {label: behavior_metrics(settings, tenant, f"models:/{name}/{v}") for label, v in versions.items() if v}

"""`@champion` belongs to the gate. MLflow's own permissions cannot say "only the gate sets @champion"
(mlflow/mlflow#24742): anyone with EDIT on a registered model can point the alias at any version from the UI.

A champion is gated when its version passed every blocking gate and was not rejected or rolled back since
(or an admin overrode that, tag `tenantguard.override`); the base needs only not to be rejected or rolled
back. A champion that is not gated was moved outside tenantguard: the guard moves it back to the last gated
champion (the gated version promoted most recently), or, when there is none, engages the tenant's kill switch;
it tags the intruding version, explains itself in the version's MLflow description and writes the event to
the audit chain. A version moved onto while a promotion is in flight has passed its gates, so it is left alone.
"""
from __future__ import annotations

from dataclasses import dataclass

from tenantguard.config import Settings
from tenantguard.errors import TenantGuardError
from tenantguard.evaluations.oneline import one_line
from tenantguard.killswitch.auth import Actor
from tenantguard.killswitch.incidents import engage_once
from tenantguard.killswitch.switch import Fallback
from tenantguard.registry import client as R
from tenantguard.registry import tags as T
from tenantguard.registry.chain import audit_to_log
from tenantguard.registry.descriptions import describe_version
from tenantguard.registry.promotion import gate_failures, now_iso

COMPONENT = "registry_watch"
UNGATED = ("rejected", "rolled_back")


@dataclass(frozen=True)
class GuardAction:
    model: str
    intruder: str  # the version @champion was moved onto outside tenantguard
    restored: str | None  # the version put back, or None when the kill switch was engaged instead
    note: str


def is_gated(tags: dict[str, str]) -> bool:
    """May `tags`' version serve as @champion without a person's override?"""
    if tags.get(T.TAG_OVERRIDE):
        return True
    if tags.get(T.TAG_STATUS) in UNGATED:
        return False
    return tags.get(T.TAG_TENANT) == T.BASE_TENANT or not gate_failures(tags)


def guard_champions(settings: Settings, reg: R.Registry, *, versions: list | None = None,
                    run_id: str | None = None) -> list[GuardAction]:
    """Check every tenantguard model's @champion (`versions`: every version, if the caller already paged them)."""
    by_model: dict[str, dict[str, object]] = {}
    for mv in reg.all_versions() if versions is None else versions:
        if mv.tags.get(T.TAG_TENANT) and mv.tags.get(T.TAG_FEATURE):
            by_model.setdefault(mv.name, {})[str(mv.version)] = mv
    actions = []
    for name, champion in sorted(reg.champions().items()):
        mv = by_model.get(name, {}).get(champion)
        if mv is None or is_gated(mv.tags):
            continue
        actions.append(_restore(settings, reg, name, mv, by_model[name], run_id))
    return actions


def _restore(settings: Settings, reg: R.Registry, name: str, intruder, versions: dict, run_id: str | None) -> GuardAction:
    audit = audit_to_log(settings, actor=Actor.system(COMPONENT, run_id=run_id))
    why = (f"@champion was set to v{intruder.version} outside tenantguard, a version that did not pass its gates "
           f"({_why_ungated(intruder.tags)})")
    gated = [v for k, v in versions.items() if k != str(intruder.version) and v.tags.get(T.TAG_PROMOTED_AT)
             and is_gated(v.tags)]
    scope = {"model": name, "version": str(intruder.version)}
    audit.authorize("champion.restore", scope)
    if gated:
        back = str(max(gated, key=lambda v: (v.tags[T.TAG_PROMOTED_AT], int(v.version))).version)
        reg.point_alias(name, T.CHAMPION, back)
        note = f"{why}; tenantguard moved @champion back to v{back} at {now_iso()}"
        outcome = f"restored v{back}"
    else:
        tenant, feature = intruder.tags[T.TAG_TENANT], intruder.tags[T.TAG_FEATURE]
        flip = engage_once(settings, {"feature": feature, "tenant": tenant},
                           incident_id=f"champion:{name}:{intruder.version}", component=COMPONENT,
                           reason=one_line(f"{why}; no gated version to return to", 500),
                           fallback=Fallback("disable"), run_id=run_id)
        if not flip.changed and intruder.tags.get(T.TAG_GUARD):  # an earlier tick did all this already
            return GuardAction(name, str(intruder.version), None, f"kill switch #{flip.switch_id}: {flip.note}")
        back, outcome = None, f"kill switch #{flip.switch_id} engaged"
        note = f"{why}; no gated version to return to, so tenantguard engaged kill switch #{flip.switch_id} at {now_iso()}"
    reg.tag_version(name, str(intruder.version), {T.TAG_GUARD: one_line(note, 500)})
    describe_version(reg, name, str(intruder.version))
    audit(action="champion.restore", scope=scope, before=str(intruder.version), after=back or "kill_switch",
          reason=note, run_id=run_id)
    return GuardAction(name, str(intruder.version), back, outcome)


def _why_ungated(tags: dict[str, str]) -> str:
    status = tags.get(T.TAG_STATUS)
    if status in UNGATED:
        return f"status {status}"
    return ", ".join(gate_failures(tags)) or "no gate verdicts"


def guard_or_skip(settings: Settings, reg: R.Registry, **kwargs) -> tuple[list[GuardAction], str | None]:
    """guard_champions, with a failure reported as text (a sensor tick must still request its runs)."""
    try:
        return guard_champions(settings, reg, **kwargs), None
    except TenantGuardError as exc:
        return [], one_line(str(exc), 300)

"""Responses to incidents: a cross-tenant leak in production, an abuse alert, a failed segmentation audit.
Each is idempotent per incident, so a sensor's replayed tick changes nothing.

An abuse alert's policy action that cannot apply falls through to the next one and says so:
rollback -> kill switch -> alert (a rollback needs an earlier promoted version to return to), and
block_key -> alert (an alert that names no key has nothing to block; it never widens to the tenant's feature).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Sequence

from tenantguard.config import Settings
from tenantguard.errors import TenantGuardError
from tenantguard.evaluations.oneline import one_line
from tenantguard.killswitch.incidents import IncidentFlip, engage_once
from tenantguard.killswitch.switch import Fallback
from tenantguard.registry import tags as T
from tenantguard.tenants import Tenant

ABUSE_COMPONENT = "abuse_watch"
LEAK_COMPONENT = "production_watch"
SEGMENTATION_COMPONENT = "segmentation"
MAX_REASON = 500  # what rollback run config and the kill-switch store keep: a reason this long survives both whole
FALLTHROUGH = {"rollback": ("rollback", "kill_switch", "alert"), "kill_switch": ("kill_switch", "alert"),
               "block_key": ("block_key", "alert"), "alert": ("alert",)}


@dataclass(frozen=True)
class AbuseResponse:
    """What an abuse alert got: `action` is what applied ('rollback': the caller requests the run)."""

    alert_id: str
    tenant_id: str
    policy: str  # the action the policy names for the alert
    action: str  # rollback | block_key | kill_switch | alert
    note: str  # in words, with every action that could not apply and why
    reason: str = ""  # the rollback run's reason (its idempotency key in the registry) when action is rollback

    @property
    def fell_through(self) -> bool:
        return self.action != self.policy


def response_scopes(alert) -> list[dict]:
    """The kill-switch scopes the alert's action engages: one per key for `block_key` (none when the alert
    names no key), the tenant's whole feature for `kill_switch`, none for `alert` and `rollback`."""
    if alert.action == "block_key":
        return [{"feature": alert.feature, "tenant": alert.tenant_id, "api_key": k} for k in alert.api_keys]
    if alert.action == "kill_switch":
        return [{"feature": alert.feature, "tenant": alert.tenant_id}]
    return []


def engage_leak_switch(settings: Settings, finding) -> IncidentFlip:
    """The tenant's feature switch, once per leak finding (a responder's release is not undone by a replay).
    The fallback serves the previous version when there is one to serve, else disables the feature."""
    fallback, why = leak_fallback(settings, finding.tenant_id, finding.feature)
    reason = finding.reason + (f"; fallback disable: {why}" if why else "")
    return engage_once(settings, {"feature": finding.feature, "tenant": finding.tenant_id},
                       incident_id=f"leak:{finding.tenant_id}:{finding.feature}:{finding.first_id}",
                       component=LEAK_COMPONENT, reason=one_line(reason, MAX_REASON), fallback=fallback)


def leak_fallback(settings: Settings, tenant_id: str, feature: str) -> tuple[Fallback, str]:
    """(fallback, why it is `disable`): `previous_version` needs an earlier promoted version to serve."""
    from tenantguard.registry.client import Registry
    from tenantguard.registry.promotion import NoRollbackTarget, rollback_target

    name = T.model_name(feature, tenant_id)
    try:
        reg = Registry(settings.mlflow_tracking_uri, settings.artifact_root)
        reg.check_reachable()
        if reg.alias_version(name, "champion") is None:
            return Fallback("disable"), f"{name} has no champion, so no previous version to serve"
        rollback_target(reg, name)
    except NoRollbackTarget:
        return Fallback("disable"), f"{name} has no earlier promoted version to serve"
    except TenantGuardError as exc:  # fail closed: a store we cannot read names no version to serve
        return Fallback("disable"), f"cannot read {name} from the registry ({one_line(exc, 160)})"
    return Fallback("previous_version"), ""


def engage_abuse_switch(settings: Settings, alert, *, why: str = "") -> str:
    """Engage the alert's (feature, tenant) switch once per finding; returns what happened, in words.
    `why` says why a kill switch rather than the policy's action (it goes into the switch's reason)."""
    return _engage_abuse(settings, alert, why).note


def _engage_abuse(settings: Settings, alert, why: str, scope: dict | None = None) -> IncidentFlip:
    key = (scope or {}).get("api_key") or alert.api_key or "-"
    reason = f"{alert.kind} on key {key}: {alert.summary} (alert {alert.alert_id})"
    if why:
        reason = f"{reason}; {why}"
    return engage_once(settings, scope or {"feature": alert.feature, "tenant": alert.tenant_id},
                       incident_id=f"abuse:{alert.alert_id}", component=ABUSE_COMPONENT,
                       reason=one_line(reason, MAX_REASON), fallback=Fallback("disable"))


def _block_keys(settings: Settings, alert, why: str) -> str:
    """One (feature, tenant, api_key) switch per key the alert names, each once per finding; what happened."""
    flips = [_engage_abuse(settings, alert, why, scope) for scope in response_scopes(replace(alert, action="block_key"))]
    changed = [f.switch_id for f in flips if f.changed]
    return (f"{len(flips)} key(s) blocked: {len(changed)} switch(es) engaged now"
            f"{' (#' + ', #'.join(map(str, changed)) + ')' if changed else ''}, "
            f"{len(flips) - len(changed)} already handled for this finding")


def abuse_rollback_reason(alert) -> str:
    return one_line(f"{alert.kind}: {alert.summary} (alert {alert.alert_id})", MAX_REASON)


def respond_to_abuse(settings: Settings, alert, *, tenants: Sequence[Tenant]) -> AbuseResponse:
    """The alert's policy action, or the first later one in FALLTHROUGH that applies. A kill switch is engaged
    here; a rollback that applies is left to the caller (a run request), checked first as a dry run."""
    known = {t.id: t for t in tenants}
    skipped: list[str] = []
    reason = abuse_rollback_reason(alert)
    for action in FALLTHROUGH.get(alert.action, ("alert",)):
        if action == "rollback":
            why = rollback_blocker(settings, alert, known, reason)
            if why is None:
                return _response(alert, "rollback", skipped, "rollback run requested", reason=reason)
            skipped.append(f"rollback not possible: {why}")
        elif action == "block_key":
            if not alert.api_keys:
                skipped.append("no key to block: the alert names none")
                continue
            try:
                done = _block_keys(settings, alert, "; ".join(skipped))
            except TenantGuardError as exc:  # e.g. a key the scope cannot hold
                skipped.append(f"keys not blocked: {one_line(exc, 160)}")
                continue
            return _response(alert, "block_key", skipped, done)
        elif action == "kill_switch":
            try:
                flip = _engage_abuse(settings, alert, "; ".join(skipped))
            except TenantGuardError as exc:  # e.g. a feature no switch scope can hold
                skipped.append(f"kill switch not engaged: {one_line(exc, 160)}")
                continue
            state = flip.note.removeprefix(f"switch {flip.switch_id} ")  # "engaged", "already released for ..."
            return _response(alert, "kill_switch", skipped, f"kill switch #{flip.switch_id} {state}")
        else:
            return _response(alert, "alert", skipped, "alert only")
    return _response(alert, "alert", skipped, "alert only")


def rollback_blocker(settings: Settings, alert, known: dict[str, Tenant], reason: str) -> str | None:
    """None when the tenant's champion can be rolled back for this alert (or already was), else why not."""
    from tenantguard.registry.client import Registry
    from tenantguard.registry.promotion import NoRollbackTarget, audit_to_log, rollback

    tenant = known.get(alert.tenant_id)
    if tenant is None:
        return f"tenant {alert.tenant_id} is not in tenants.yaml"
    name = T.model_name(alert.feature or tenant.features[0], tenant.id)
    try:
        reg = Registry(settings.mlflow_tracking_uri, settings.artifact_root)
        reg.check_reachable()
        champion = reg.alias_version(name, "champion")
        if champion is None:
            return f"{name} has no champion"
        # a dry run of the very rollback the run would make: "already rolled back for this alert" applies too
        rollback(reg, name, reason, audit_to_log(settings, actor=f"system:{ABUSE_COMPONENT}"), dry_run=True)
    except NoRollbackTarget:
        return f"no version of {name} before champion v{champion} passed its gates and was promoted"
    except TenantGuardError as exc:
        return f"cannot read {name} from the registry: {one_line(exc, 160)}"
    return None


def _response(alert, action: str, skipped: list[str], done: str, *, reason: str = "") -> AbuseResponse:
    """What was done first (a cut line keeps it), then why the policy's own action was not."""
    note = f"{done} instead ({'; '.join(skipped)})" if skipped else done
    return AbuseResponse(alert.alert_id, alert.tenant_id, alert.action, action, note, reason)


def engage_segmentation_switches(settings: Settings, tenant: Tenant, reports: Sequence, policy: dict, *,
                                 run_id: str, log=None) -> list[str]:
    """Engage (feature, tenant) switches for failed audits whose policy is `kill_switch`, once per (run, audit
    kind, feature): a replayed run does not undo a responder's release; a later run's failure engages again."""
    failed = [r for r in reports if r.verdict == "failed" and policy.get(r.kind) == "kill_switch"]
    actions = []
    for r in failed:
        reason = f"segmentation {r.kind} failed for {tenant.id}: {r.n_findings} finding(s), data of " \
                 f"{', '.join(r.source_tenants) or 'unknown tenants'} (segmentation_report)"
        for feature in tenant.features:
            flip = engage_once(settings, {"feature": feature, "tenant": tenant.id},
                               incident_id=f"segmentation:{r.kind}:{tenant.id}:{feature}:{run_id}",
                               component=SEGMENTATION_COMPONENT, reason=reason, fallback=Fallback("disable"),
                               run_id=run_id)
            state = "engaged" if flip.changed else "already engaged"
            actions.append(f"kill switch #{flip.switch_id} {feature}/{tenant.id} {state} ({r.kind})")
            if log is not None:
                log.warning(f"kill switch {feature}/{tenant.id} {state}: {reason}")
    return actions

"""Responses that engage kill switches: a cross-tenant leak in production, an abuse alert, a failed
segmentation audit. Each is idempotent per incident, so a sensor's replayed tick changes nothing."""
from __future__ import annotations

from typing import Sequence

from tenantguard.config import Settings
from tenantguard.killswitch.incidents import IncidentFlip, engage_once
from tenantguard.killswitch.switch import Fallback
from tenantguard.tenants import Tenant

ABUSE_COMPONENT = "abuse_watch"
LEAK_COMPONENT = "production_watch"
SEGMENTATION_COMPONENT = "segmentation"


def engage_leak_switch(settings: Settings, finding) -> IncidentFlip:
    """The tenant's feature switch, once per leak finding (a responder's release is not undone by a replay)."""
    return engage_once(settings.killswitch_url, {"feature": finding.feature, "tenant": finding.tenant_id},
                       incident_id=f"leak:{finding.tenant_id}:{finding.feature}:{finding.first_id}",
                       component=LEAK_COMPONENT, reason=finding.reason, fallback=Fallback("previous_version"))


def engage_abuse_switch(settings: Settings, alert) -> str:
    """Engage the alert's (feature, tenant) switch once per finding; returns what happened, in words."""
    reason = f"{alert.kind} on key {alert.api_key or '-'}: {alert.summary} (alert {alert.alert_id})"
    return engage_once(settings.killswitch_url, {"feature": alert.feature, "tenant": alert.tenant_id},
                       incident_id=f"abuse:{alert.alert_id}", component=ABUSE_COMPONENT, reason=reason,
                       fallback=Fallback("disable")).note


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
            flip = engage_once(settings.killswitch_url, {"feature": feature, "tenant": tenant.id},
                               incident_id=f"segmentation:{r.kind}:{tenant.id}:{feature}:{run_id}",
                               component=SEGMENTATION_COMPONENT, reason=reason, fallback=Fallback("disable"),
                               run_id=run_id)
            state = "engaged" if flip.changed else "already engaged"
            actions.append(f"kill switch #{flip.switch_id} {feature}/{tenant.id} {state} ({r.kind})")
            if log is not None:
                log.warning(f"kill switch {feature}/{tenant.id} {state}: {reason}")
    return actions

"""Acknowledging an abuse alert is a state change (it clears `no_open_abuse_alerts`): authorized, then chained."""
from __future__ import annotations

from tenantguard.config import Settings
from tenantguard.killswitch.auth import Actor
from tenantguard.killswitch.store import KillSwitchStore
from tenantguard.monitoring.abuse.alerts import AlertStore


def acknowledge_alert(settings: Settings, store: KillSwitchStore, actor: Actor, alert_id: str, *, reason: str) -> dict:
    """Acknowledge `alert_id` as `actor` (POLICY `abuse.ack`: a responder) and write the ack to the audit chain."""
    from tenantguard.errors import ConfigError

    if not reason.strip():
        raise ConfigError("--reason is required: say what was done about the alert (it goes to the audit log)")
    store.actors.authorize(actor, "abuse.ack", {"alert_id": alert_id})
    ack = AlertStore(settings.inference_log_url).acknowledge(alert_id, actor=actor.name, reason=reason)
    store.record(actor=actor, action="abuse.ack", scope={"alert_id": alert_id}, before="open",
                 after={"acknowledged_to_row": ack["last_id"]}, reason=reason)
    return ack

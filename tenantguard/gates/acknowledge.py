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


def chained_acknowledgements(settings: Settings, records: list[dict]) -> list[dict]:
    """`records` (AlertStore.list) where an acknowledgement counts only if the audit chain holds it: one written
    into the alerts database directly, past `abuse ack`, leaves its alert open."""
    store = KillSwitchStore.from_settings(settings)
    chained: dict[str, int] = {}
    for e in store.audit.entries(action="abuse.ack"):
        aid, row = e.scope.get("alert_id"), (e.after or {}).get("acknowledged_to_row", 0)
        chained[aid] = max(chained.get(aid, 0), int(row))
    out = []
    for r in records:
        ack = r.get("acknowledged")
        if ack is not None and chained.get(r["alert_id"], -1) < int(ack["last_id"]):
            r = {**r, "acknowledged": None, "unchained_ack": ack["actor"]}
        out.append(r)
    return out

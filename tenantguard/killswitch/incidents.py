"""Engage a switch once per incident: what sensors do, so replays and at-least-once ticks are safe."""
from __future__ import annotations

from dataclasses import dataclass

from tenantguard.errors import SwitchNotFound


@dataclass(frozen=True)
class IncidentFlip:
    switch_id: int
    note: str  # what happened, in words
    changed: bool = False  # this call engaged the switch


def engage_once(settings, scope: dict, *, incident_id: str, component: str, reason: str, fallback,
                run_id: str | None = None) -> IncidentFlip:
    """Engage `scope` for `incident_id` unless that incident already engaged it. A responder's release of
    a switch for this incident is respected: a replayed finding does not engage it again."""
    from tenantguard.killswitch.auth import Actor
    from tenantguard.killswitch.store import KillSwitchStore

    store = KillSwitchStore.from_settings(settings)
    try:
        current = store.get(scope)
    except SwitchNotFound:
        current = None
    if current is not None and current.incident_id == incident_id:
        return IncidentFlip(current.id, f"switch {current.id} already {current.state} for this finding")
    flip = store.engage(scope, actor=Actor.system(component, run_id=run_id), reason=reason[:500], fallback=fallback,
                        incident_id=incident_id, run_id=run_id)
    return IncidentFlip(flip.switch.id, f"switch {flip.switch.id} {'engaged' if flip.changed else 'was already engaged'}",
                        flip.changed)

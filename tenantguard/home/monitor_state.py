"""The production monitor's bounded state, saved per inference-log cursor value under `<home>/monitoring/`.

A tick that dies before its cursor is committed is replayed from the state matching that cursor, so no
row is missed and the actions derived repeat identically.
"""
from __future__ import annotations

import json

from tenantguard.config import Settings
from tenantguard.home.layout import monitoring_dir

KEEP_STATES = 3


def load_state(settings: Settings, last_id: int) -> dict | None:
    path = monitoring_dir(settings) / f"production-state-{last_id}.json"
    return json.loads(path.read_text()) if path.exists() else None


def save_state(settings: Settings, state: dict) -> None:
    state_dir = monitoring_dir(settings)
    state_dir.mkdir(parents=True, exist_ok=True)
    tmp = state_dir / "production-state.tmp"
    tmp.write_text(json.dumps(state))
    tmp.replace(state_dir / f"production-state-{state['last_id']}.json")
    olds = sorted(state_dir.glob("production-state-*.json"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
    for p in olds[:-KEEP_STATES]:
        p.unlink()

"""One abuse scan from a cursor, resuming the detectors' state saved there: what the sensor and
`tenantguard abuse scan` run. Pure of Dagster, like gates.production for the production monitor."""
from __future__ import annotations

from tenantguard.config import Settings
from tenantguard.home.abuse_state import load_scan_state, save_scan_state


def scan_abuse(settings: Settings, *, after_id: int = 0, limit: int | None = None):
    """`monitoring.abuse.scan.scan_log` from `after_id` with the state saved at it (if any); the state at
    the new cursor is saved for the next scan. Returns the ScanResult."""
    from tenantguard.monitoring.abuse.scan import scan_log

    result = scan_log(settings, after_id=after_id, limit=limit,
                      resume=load_scan_state(settings, after_id) if after_id else None)
    if result.state is not None and result.rows:
        save_scan_state(settings, result.last_id, result.state)
    return result

"""One incremental scan of the inference log: what the CLI and the sensor both run.

A scan resumes the detectors' state saved at its cursor (`resume`, kept per cursor by
gates.abuse_scan like the production monitor's), so a tick reads only its new rows. Without one (a
first scan, a state from other detectors or settings, a cursor no state was saved at) the scanner is
warmed on up to `lookback_rows` rows before the cursor, rebuilding state from the log itself. Either
way only findings that include a new row are reported, and the alerts table deduplicates across scans.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

from tenantguard.config import Settings
from tenantguard.errors import TenantGuardError
from tenantguard.monitoring.abuse.alerts import Alert, AlertStore
from tenantguard.monitoring.abuse.policy import AbuseSettings
from tenantguard.monitoring.abuse.scanner import Scanner, ScannerState, ScanStats
from tenantguard.monitoring.inference_log import InferenceLog
from tenantguard.tenants import load_tenants

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScanResult:
    rows: int  # new rows scanned (after the cursor)
    last_id: int  # the new cursor
    alerts: tuple[Alert, ...]  # findings that include a new row
    new_alerts: tuple[Alert, ...]  # of those, the ones the alerts table had not seen: act on these
    stats: ScanStats
    open_alerts: tuple[Alert, ...] = ()  # of `alerts`, those no acknowledgement covers: what a responder must see
    not_run: dict = field(default_factory=dict)  # kind -> new rows it could not judge: no prompt captured
    state: ScannerState | None = None  # the detectors at `last_id`, for the next scan to resume
    resumed: bool = False  # whether the scan resumed a saved state (else it re-read the lookback)


def scan_log(settings: Settings, *, after_id: int = 0, limit: int | None = None, abuse: AbuseSettings | None = None,
             batch: int = 10_000, resume: ScannerState | None = None) -> ScanResult:
    """Scan rows with id > after_id (at most `limit`), record alerts, return what to act on. The detectors
    and policy are `abuse`, else those `settings` register (`AbuseSettings.from_settings`); their state is
    `resume` when it was saved at `after_id` by the same detectors, else rebuilt from the lookback."""
    abuse = abuse or AbuseSettings.from_settings(settings)
    source = InferenceLog(settings.inference_log_url)
    scanner = Scanner(abuse, system_prompts=_system_prompts(settings))
    resumed = resume is not None and resume.last_id == after_id and scanner.resume(resume)
    if not resumed:
        for rows in source.iter_batches(max(0, after_id - abuse.lookback_rows), batch=batch):
            rows = [r for r in rows if r["id"] <= after_id]
            if not rows:
                break
            scanner.process(rows)
    warm, not_run_before = scanner.rows, dict(scanner.not_run)
    cursor = after_id
    while limit is None or scanner.rows - warm < limit:
        size = batch if limit is None else min(batch, limit - (scanner.rows - warm))
        rows = source.read(cursor, size)
        if not rows:
            break
        scanner.process(rows)
        cursor = rows[-1]["id"]
    alerts = tuple(a for a in scanner.alerts() if a.last_id > after_id)
    store = AlertStore(settings.inference_log_url)
    fresh = tuple(store.record(list(alerts)))
    acked = {r["alert_id"] for r in store.list() if r["acknowledged"] is not None}
    if scanner.stats.coercions:
        log.warning("abuse scan repaired fields on the way in: %s", scanner.stats.coercions)
    not_run = {k: n - not_run_before.get(k, 0) for k, n in scanner.not_run.items() if n > not_run_before.get(k, 0)}
    return ScanResult(rows=scanner.rows - warm, last_id=cursor, alerts=alerts, new_alerts=fresh, stats=scanner.stats,
                      open_alerts=tuple(a for a in alerts if a.alert_id not in acked), not_run=not_run,
                      state=scanner.state(), resumed=resumed)


def _system_prompts(settings: Settings) -> dict[str, str]:
    try:
        return {t.id: t.system_prompt for t in load_tenants(settings.tenants_file)}
    except TenantGuardError:
        return {}  # no tenants file: whole prompts are scored, nothing is skipped

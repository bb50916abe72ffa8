"""One incremental scan of the inference log: what the CLI and the sensor both run.

Restart-safe without persisted detector state: the scanner is warmed on up to `lookback_rows` rows
before the cursor (state is rebuilt from the log itself), then fed the new rows; only findings that
include a new row are reported, and the alerts table deduplicates across scans.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from tenantguard.config import Settings
from tenantguard.errors import TenantGuardError
from tenantguard.monitoring.abuse.alerts import Alert, AlertStore
from tenantguard.monitoring.abuse.policy import AbuseSettings
from tenantguard.monitoring.abuse.scanner import Scanner, ScanStats
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


def scan_log(settings: Settings, *, after_id: int = 0, limit: int | None = None, abuse: AbuseSettings | None = None,
             batch: int = 10_000) -> ScanResult:
    """Scan rows with id > after_id (at most `limit`), record alerts, return what to act on. The detectors
    and policy are `abuse`, else those `settings` register (`AbuseSettings.from_settings`)."""
    abuse = abuse or AbuseSettings.from_settings(settings)
    source = InferenceLog(settings.inference_log_url)
    scanner = Scanner(abuse, system_prompts=_system_prompts(settings))
    for rows in source.iter_batches(max(0, after_id - abuse.lookback_rows), batch=batch):
        rows = [r for r in rows if r["id"] <= after_id]
        if not rows:
            break
        scanner.process(rows)
    warm = scanner.rows
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
    return ScanResult(rows=scanner.rows - warm, last_id=cursor, alerts=alerts, new_alerts=fresh, stats=scanner.stats,
                      open_alerts=tuple(a for a in alerts if a.alert_id not in acked))


def _system_prompts(settings: Settings) -> dict[str, str]:
    try:
        return {t.id: t.system_prompt for t in load_tenants(settings.tenants_file)}
    except TenantGuardError:
        return {}  # no tenants file: whole prompts are scored, nothing is skipped

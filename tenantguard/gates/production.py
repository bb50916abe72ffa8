"""One production-watch evaluation: inference log rows after a cursor -> deviation and leak findings.

Pure of Dagster, so the sensor stays thin and the benchmark measures exactly what the sensor runs.
"""
from __future__ import annotations

from typing import Sequence

from tenantguard.config import Settings
from tenantguard.home.corpora import cached_index
from tenantguard.home.monitor_state import load_state, save_state
from tenantguard.tenants import Tenant

MAX_ROWS_PER_TICK = 100_000


def watch(settings: Settings, tenants: Sequence[Tenant], cursor_id: int, *, max_rows: int = MAX_ROWS_PER_TICK):
    """(findings, new cursor id, rows read)."""
    from tenantguard.monitoring.inference_log import InferenceLog
    from tenantguard.monitoring.production import ProductionMonitor

    state = load_state(settings, cursor_id) if cursor_id else None
    if cursor_id and state is None:
        state = {"last_id": cursor_id, "streams": {}}  # state lost: resume from the cursor, fresh references
    monitor = ProductionMonitor(scanner=cached_index(settings, tenants), state=state)
    log, findings, n = InferenceLog(settings.inference_log_url), [], 0
    for batch in log.iter_batches(monitor.last_id, batch=10_000):
        findings.extend(monitor.observe(batch))
        n += len(batch)
        if n >= max_rows:
            break
    save_state(settings, monitor.state)
    return findings, monitor.last_id, n

"""One abuse_watch tick after a long history: the detector state resumed from the cursor (what the sensor
does now) beside rebuilding it from the lookback (up to 50k rows re-read and re-scanned every tick).
Wall clock and CPU time (the machine may be shared). Usage: nice -n 10 python benchmarks/abuse_tick.py [--quick]"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from tenantguard.config import Settings
from tenantguard.demo.traffic import generate_traffic
from tenantguard.gates.abuse_scan import scan_abuse
from tenantguard.monitoring.abuse.benign_corpus import DEFAULT_TENANTS
from tenantguard.monitoring.abuse.injection import default_scorer
from tenantguard.monitoring.abuse.scan import scan_log
from tenantguard.monitoring.inference_log import InferenceLog
from tenantguard.tenants import Tenant, dump_tenants


def _timed(fn):
    t, c = time.perf_counter(), time.process_time()
    result = fn()
    return result, time.perf_counter() - t, time.process_time() - c


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="10k rows of history, ticks of 1k")
    args = ap.parse_args()
    history, tick = (10_000, 1_000) if args.quick else (50_000, 2_000)
    default_scorer()  # trained once per process: not part of a tick
    with tempfile.TemporaryDirectory() as tmp:
        s = Settings.from_env({"TENANTGUARD_SECRET": "bench"}, home=Path(tmp))
        dump_tenants([Tenant(t, t, "eu-west", ("support-assistant",), p) for t, p in DEFAULT_TENANTS.items()],
                     s.tenants_file)
        rows = generate_traffic(history + tick, seed=41, days=2.0).rows[:history + tick]
        InferenceLog(s.inference_log_url).append(rows)
        warm = scan_abuse(s, limit=history)  # the ticks so far: leaves the state at `history`
        assert warm.last_id == history
        resumed, r_wall, r_cpu = _timed(lambda: scan_abuse(s, after_id=history, limit=tick))
        rebuilt, l_wall, l_cpu = _timed(lambda: scan_log(s, after_id=history, limit=tick))
    assert resumed.resumed and not rebuilt.resumed and resumed.rows == rebuilt.rows == tick
    same = {a.alert_id for a in resumed.alerts} == {a.alert_id for a in rebuilt.alerts}
    print(f"one tick of {tick:,} new rows after {history:,} rows of history")
    print(f"{'detector state':<34} {'wall s':>8} {'CPU s':>8} {'rows scanned':>13}")
    print(f"{'resumed at the cursor (now)':<34} {r_wall:>8.2f} {r_cpu:>8.2f} {tick:>13,}")
    print(f"{'rebuilt from the 50k lookback':<34} {l_wall:>8.2f} {l_cpu:>8.2f} {history + tick:>13,}")
    print(f"ratio rebuilt / resumed: {l_wall / r_wall:.1f}x wall, {l_cpu / r_cpu:.1f}x CPU; "
          f"same alerts: {'yes' if same else 'NO'} ({len(resumed.alerts)})")


if __name__ == "__main__":
    main()

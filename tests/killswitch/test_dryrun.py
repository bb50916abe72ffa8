"""engage --dry-run against a real inference-log table (tenantguard.monitoring.inference_log)."""
from __future__ import annotations

import random

import pytest

from tenantguard.killswitch.dryrun import dry_run
from tenantguard.killswitch.scope import Scope


@pytest.fixture
def log_url(tmp_path):
    from tenantguard.monitoring.inference_log import InferenceLog

    url = f"sqlite:///{tmp_path / 'inference.db'}"
    rng = random.Random(3)
    rows = [{"ts": f"2026-01-01T00:00:{i % 60:02d}Z", "tenant_id": rng.choice(["acme", "globex", "initech"]),
             "feature": rng.choice(["support-assistant", "search"]), "region": rng.choice(["eu-west", "us-east"]),
             "prompt": "secret prompt text", "completion": "c"} for i in range(200)]
    InferenceLog(url).append(rows)
    return url, rows


def test_dry_run_counts_exactly_the_matching_recent_rows(log_url):
    url, rows = log_url
    scope = Scope(feature="search", tenant="acme")
    report = dry_run(url, scope, window=150)
    recent = rows[-150:]
    expected = [r for r in recent if r["feature"] == "search" and r["tenant_id"] == "acme"]
    assert report.available and report.scanned == 150 and report.hits == len(expected) > 0
    assert report.by_tenant == {"acme": len(expected)} and (report.first_id, report.last_id) == (51, 200)
    assert "secret prompt text" not in str(report)  # never copies request text
    assert f"would have hit {len(expected)} of the last 150" in report.summary()


def test_missing_log_file_or_table_is_reported_not_created(tmp_path):
    missing = tmp_path / "none.db"
    report = dry_run(f"sqlite:///{missing}", Scope(tenant="acme"))
    assert not report.available and "no inference log" in report.summary() and not missing.exists()
    import sqlite3
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE unrelated (x int)").connection.close()
    report = dry_run(f"sqlite:///{other}", Scope(tenant="acme"))
    assert not report.available and "inference_log" in report.note

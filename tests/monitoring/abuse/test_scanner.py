"""The scanner runs the detectors of its settings over a stream of log rows: every campaign kind is found with no
benign row in any alert, each alert gets its action from the policy, and hostile rows are repaired and counted."""
import collections

import pytest

from tenantguard.demo.traffic import generate_traffic
from tenantguard.monitoring.abuse.policy import AbuseSettings
from tenantguard.monitoring.abuse.scanner import Scanner
from tenantguard.monitoring.abuse.token_budget import BudgetDetector

PROMPTS = {f"tenant-{i}": f"You are the support assistant of tenant {i}. Be concise." for i in range(4)}


@pytest.fixture(scope="module")
def scanned():
    traffic = generate_traffic(6000, seed=23)
    for i, row in enumerate(traffic.rows):
        row["id"] = i + 1
    scanner = Scanner(system_prompts=PROMPTS)
    for i in range(0, len(traffic.rows), 2000):
        scanner.process(traffic.rows[i:i + 2000])
    return traffic, scanner


def _labels(traffic, alert):
    return collections.Counter(traffic.labels[i - 1] for i in alert.member_ids)


def test_every_campaign_kind_is_detected_and_no_benign_row_alerts(scanned):
    traffic, scanner = scanned
    alerts = scanner.alerts()
    kinds = {a.kind for a in alerts}
    assert kinds == {"injection_campaign", "model_extraction", "token_budget", "jailbreak_sweep"}
    for a in alerts:
        labels = _labels(traffic, a)
        assert None not in labels, (a.kind, a.summary)
        assert {traffic.campaigns[name]["kind"] for name in labels} == {a.kind}


def test_policy_maps_kinds_to_actions(scanned):
    _, scanner = scanned
    actions = {a.kind: a.action for a in scanner.alerts()}
    assert actions["model_extraction"] == "block_key"  # one key's abuse: that key, not the tenant's feature
    assert actions["token_budget"] == "block_key"
    assert actions["jailbreak_sweep"] == "rollback"  # most attempts were complied with
    assert actions["injection_campaign"] == "alert"


def test_hostile_rows_are_handled_and_counted_not_skipped():
    rows = [
        {"id": 5, "ts": "2026-01-01T00:00:05Z", "tenant_id": "tenant-0", "prompt": None, "completion": None},
        {"id": 3, "ts": "not a time", "tenant_id": "tenant-0", "prompt": b"\xff\xfe binary", "completion_tokens": -4},
        {"id": 4, "ts": 1, "tenant_id": "tenant-0", "prompt": "x" * 200_000, "params": "garbage"},
        {"id": 2, "ts": "2025-12-31T00:00:00Z", "tenant_id": "tenant-0", "prompt": "\x00\x01\x02", "api_key": "k"},
    ]
    scanner = Scanner()
    assert scanner.process(rows) == []
    scanner.process([{"id": 1, "ts": 0, "tenant_id": "tenant-0", "prompt": "late"}])
    stats = scanner.stats
    assert stats.rows == 5 and stats.late_rows == 1
    assert stats.coercions["invalid_completion_tokens"] == 1 and stats.coercions["unparseable_ts"] == 1
    assert stats.coercions["null_prompt"] == 1 and stats.coercions["bytes_prompt"] == 1


def test_the_scanner_runs_exactly_the_detectors_of_its_settings(scanned):
    traffic, _ = scanned
    scanner = Scanner(AbuseSettings(detectors=(BudgetDetector,)), system_prompts=PROMPTS)
    alerts = scanner.process(traffic.rows)
    assert [d.kind for d in scanner.detectors] == ["token_budget"]
    assert alerts and {a.kind for a in alerts} == {"token_budget"} and {a.action for a in alerts} == {"block_key"}

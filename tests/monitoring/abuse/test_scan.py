"""One incremental scan of a real SQLite inference log: state rebuilt from the rows before the cursor, only
findings that include a new row reported, and the alerts table deciding which of them are new."""
import logging

import pytest

from tenantguard.config import Settings
from tenantguard.demo.traffic import generate_traffic
from tenantguard.monitoring.abuse.alerts import AlertStore
from tenantguard.monitoring.abuse.benign_corpus import DEFAULT_TENANTS
from tenantguard.monitoring.abuse.policy import AbuseSettings
from tenantguard.monitoring.abuse.scan import scan_log
from tenantguard.monitoring.inference_log import InferenceLog
from tenantguard.tenants import Tenant, dump_tenants


@pytest.fixture
def home(tg_home):
    """A home with the four demo tenants and an empty inference log; yields (Settings, InferenceLog)."""
    tg_home.mkdir(parents=True)
    settings = Settings.from_env()
    dump_tenants([Tenant(t, t, "eu-west", ("support-assistant",), p) for t, p in DEFAULT_TENANTS.items()],
                 settings.tenants_file)
    return settings, InferenceLog(settings.inference_log_url)


def wallet_attack(seed: int = 4) -> list[dict]:
    """150 requests of one key forcing long outputs (the demo's token-budget campaign), no benign rows."""
    return generate_traffic(0, seed=seed, campaigns=("token_budget",)).rows


def test_scanning_in_pieces_moves_the_cursor_and_reads_every_row_once(home):
    settings, log = home
    log.append(generate_traffic(700, seed=2, campaigns=()).rows)
    cursor, seen = 0, []
    while (result := scan_log(settings, after_id=cursor, limit=300)).rows:
        seen.append(result.rows)
        assert result.last_id == cursor + result.rows and result.alerts == ()
        cursor = result.last_id
    assert seen == [300, 300, 100] and cursor == 700
    assert result.last_id == 700  # nothing new: the cursor stays where it was


def test_a_new_finding_is_reported_once_and_an_old_one_not_again(home):
    settings, log = home
    log.append(generate_traffic(200, seed=2, campaigns=()).rows + wallet_attack())
    first = scan_log(settings)
    (a,) = first.alerts
    assert first.new_alerts == first.alerts and a.kind == "token_budget" and a.action == "block_key"
    assert first.rows == 350 and first.last_id == 350

    again = scan_log(settings)  # the same rows scanned again: the same finding, already in the table
    assert [x.alert_id for x in again.alerts] == [a.alert_id] and again.new_alerts == ()

    log.append(generate_traffic(100, seed=3, campaigns=()).rows)
    later = scan_log(settings, after_id=first.last_id)  # the attack is in the lookback, not in the new rows
    assert later.rows == 100 and later.alerts == () and later.new_alerts == ()
    (stored,) = AlertStore(settings.inference_log_url).list()
    assert stored["alert_id"] == a.alert_id


def test_the_lookback_rebuilds_state_so_a_finding_that_goes_on_is_seen_after_a_restart(home):
    settings, log = home
    attack = wallet_attack()
    log.append(attack[:100])
    log.append(attack[100:])
    blind = AbuseSettings(lookback_rows=0)  # a restart that forgot the key's first 100 requests
    assert scan_log(settings, after_id=100, abuse=blind).alerts == ()  # its last 50 alone project under budget
    (a,) = scan_log(settings, after_id=100).alerts  # the first 100 replayed from the log
    assert a.first_id == 1 and a.last_id == 150


def test_the_settings_decide_the_policy_when_no_abuse_settings_are_given(home, monkeypatch):
    _, log = home
    log.append(wallet_attack())
    monkeypatch.setenv("TENANTGUARD_ABUSE_POLICY", "token_budget=alert")
    (a,) = scan_log(Settings.from_env()).alerts
    assert a.action == "alert"


def test_a_home_without_a_tenants_file_still_scans(tg_home):
    tg_home.mkdir(parents=True)
    settings = Settings.from_env()
    InferenceLog(settings.inference_log_url).append(wallet_attack())
    assert not settings.tenants_file.exists()
    (a,) = scan_log(settings).alerts
    assert a.kind == "token_budget"


def test_repaired_fields_are_logged_with_their_counts(home, caplog):
    settings, log = home
    log.append([{"ts": "2026-01-01T00:00:00Z", "tenant_id": "tenant-0", "prompt": "hi"}] * 3)
    with caplog.at_level(logging.WARNING, logger="tenantguard.monitoring.abuse.scan"):
        result = scan_log(settings)
    assert result.stats.coercions == {"null_completion": 3}
    assert "repaired fields" in caplog.text and "'null_completion': 3" in caplog.text


def test_campaign_is_alerted_once_across_the_lookback_boundary(home):
    settings, log = home
    traffic = generate_traffic(3000, seed=43, campaigns=("injection_campaign",))
    log.append(traffic.rows)
    ids = [i + 1 for i, lab in enumerate(traffic.labels) if lab]
    mid = ids[len(ids) // 2]
    first = scan_log(settings, after_id=0, limit=mid, abuse=AbuseSettings())  # the campaign's first half
    assert first.last_id == mid and {a.kind for a in first.new_alerts} == {"injection_campaign"}
    # The next scan's lookback starts after the campaign's first members: its first member id differs.
    short = AbuseSettings(lookback_rows=mid - ids[5])
    second = scan_log(settings, after_id=mid, abuse=short)
    assert second.alerts and {a.kind for a in second.alerts} == {"injection_campaign"}
    assert second.new_alerts == ()  # same findings, same alert ids: updated, not raised again
    assert {a.alert_id for a in second.alerts} == {a.alert_id for a in first.new_alerts}

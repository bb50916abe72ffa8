"""The abuse scan the sensor runs, tick by tick: detector state resumed per cursor gives the same alerts as
rebuilding it from the lookback every tick, on the demo's traffic, and reads only each tick's new rows."""
import pytest

from tenantguard.config import Settings
from tenantguard.demo.abuse import BENIGN_REQUESTS
from tenantguard.demo.traffic import KINDS, generate_traffic
from tenantguard.gates.abuse_scan import scan_abuse
from tenantguard.home.layout import monitoring_dir
from tenantguard.monitoring.abuse.benign_corpus import DEFAULT_TENANTS
from tenantguard.monitoring.abuse.scan import scan_log
from tenantguard.monitoring.inference_log import InferenceLog
from tenantguard.tenants import Tenant, dump_tenants

TICK = 1_800  # rows a tick: the demo traffic spans two ticks, campaigns cross the boundary


def _home(path):
    path.mkdir(parents=True)
    settings = Settings.from_env({"TENANTGUARD_SECRET": "abuse-scan-test-" + "5f1c0e9a7b2d4c6e8a0b1c2d3e4f5a6b7c8d9e0f"}, home=path)
    dump_tenants([Tenant(t, t, "eu-west", ("support-assistant",), p) for t, p in DEFAULT_TENANTS.items()],
                 settings.tenants_file)
    InferenceLog(settings.inference_log_url).append(generate_traffic(BENIGN_REQUESTS, seed=7).rows)  # the demo's
    return settings


def _ticks(scan):
    """Every alert (id, kind, tenant, key, last row, action) of every tick, and whether each tick resumed."""
    cursor, found, resumed = 0, set(), []
    while (result := scan(cursor)).rows:
        found |= {(a.alert_id, a.kind, a.tenant_id, a.api_key, a.last_id, a.action) for a in result.alerts}
        resumed.append(result.resumed)
        cursor = result.last_id
    return found, resumed


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    stateful = _home(tmp_path_factory.mktemp("stateful") / "home")
    lookback = _home(tmp_path_factory.mktemp("lookback") / "home")
    return (_ticks(lambda c: scan_abuse(stateful, after_id=c, limit=TICK)),
            _ticks(lambda c: scan_log(lookback, after_id=c, limit=TICK)), stateful)


def test_resumed_state_finds_the_same_alerts_as_the_lookback_on_the_demo_traffic(both):
    (with_state, resumed), (with_lookback, rebuilt), _ = both
    assert {kind for _, kind, *_ in with_state} == set(KINDS)  # every campaign of the demo is found
    assert with_state == with_lookback
    assert resumed == [False] + [True] * (len(resumed) - 1)  # only the first tick had nothing to resume
    assert not any(rebuilt)


def test_a_state_is_kept_per_cursor_and_private(both):
    (_, resumed), _, settings = both  # one state per tick (tests/home/test_abuse_state.py: the newest three)
    files = sorted(monitoring_dir(settings).glob("abuse-state-*.pkl"))
    assert len(files) == len(resumed) and all(f.stat().st_mode & 0o777 == 0o600 for f in files)


def test_a_state_file_not_keyed_with_the_secret_is_ignored_and_the_state_rebuilt(tmp_path, caplog):
    settings = _home(tmp_path / "home")
    first = scan_abuse(settings, limit=TICK)
    path = monitoring_dir(settings) / f"abuse-state-{first.last_id}.pkl"
    blob = bytearray(path.read_bytes())
    blob[-1] ^= 1  # one bit of the pickle changed: the key no longer verifies
    path.write_bytes(bytes(blob))
    again = scan_abuse(settings, after_id=first.last_id, limit=TICK)
    assert again.resumed is False and again.rows == again.last_id - first.last_id > 0
    assert "not written with this deployment's secret" in caplog.text

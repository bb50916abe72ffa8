"""The abuse scanner's state files: keyed with the project secret, per cursor, the newest three kept."""
import hashlib

from tenantguard.config import Settings
from tenantguard.home.abuse_state import load_scan_state, save_scan_state
from tenantguard.home.layout import monitoring_dir


def _settings(tmp_path, secret="one"):
    strong = f"{secret}-{hashlib.sha256(secret.encode()).hexdigest()}"  # Settings refuses weak secrets
    return Settings.from_env({"TENANTGUARD_SECRET": strong}, home=tmp_path)


def test_a_state_round_trips_at_its_cursor_only(tmp_path):
    s = _settings(tmp_path)
    save_scan_state(s, 40, {"detectors": [1, 2], "rows": 40})
    assert load_scan_state(s, 40) == {"detectors": [1, 2], "rows": 40}
    assert load_scan_state(s, 41) is None


def test_a_state_written_under_another_secret_is_never_unpickled(tmp_path):
    save_scan_state(_settings(tmp_path, "one"), 7, {"rows": 7})
    assert load_scan_state(_settings(tmp_path, "two"), 7) is None


def test_only_the_newest_three_states_are_kept(tmp_path):
    s = _settings(tmp_path)
    for cursor in (5, 10, 100, 20):
        save_scan_state(s, cursor, cursor)
    assert sorted(p.name for p in monitoring_dir(s).glob("abuse-state-*.pkl")) == \
        ["abuse-state-10.pkl", "abuse-state-100.pkl", "abuse-state-20.pkl"]

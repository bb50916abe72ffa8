"""The production monitor's state, saved per cursor value: the newest three kept, a replay finds its own."""
import pytest

from tenantguard.config import Settings
from tenantguard.home.layout import monitoring_dir
from tenantguard.home.monitor_state import KEEP_STATES, load_state, save_state


@pytest.fixture
def settings(tmp_path):
    return Settings.from_env({"TENANTGUARD_HOME": str(tmp_path / "home")})


def state(last_id: int) -> dict:
    return {"last_id": last_id, "streams": {"acme|support-assistant": {"seen": last_id * 2}}}


def saved_ids(settings) -> list[int]:
    return sorted(int(p.stem.rsplit("-", 1)[1]) for p in monitoring_dir(settings).glob("production-state-*.json"))


def test_no_state_is_none(settings):
    assert load_state(settings, 0) is None and load_state(settings, 450) is None


def test_a_saved_state_is_found_by_its_cursor_and_round_trips(settings):
    save_state(settings, state(450))
    assert load_state(settings, 450) == state(450)
    assert load_state(settings, 449) is None


def test_the_newest_three_are_kept_in_numeric_order(settings):
    for last_id in (8, 9, 10, 100, 11):  # 100 sorts before 11 as text
        save_state(settings, state(last_id))
    assert KEEP_STATES == 3
    assert saved_ids(settings) == [10, 11, 100]
    assert not (monitoring_dir(settings) / "production-state.tmp").exists()


def test_a_replay_of_a_tick_finds_the_state_its_cursor_had(settings):
    """The daemon saved the state of cursor 900 but died before committing it: the retry starts from 450."""
    save_state(settings, state(450))
    save_state(settings, state(900))
    assert load_state(settings, 450) == state(450)
    save_state(settings, state(900))  # the replayed tick saves the same state again
    assert load_state(settings, 900) == state(900) and saved_ids(settings) == [450, 900]

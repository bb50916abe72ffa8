"""Issue 15, finding 8: refused attempts are audited without letting anyone flood the log."""
from __future__ import annotations

import pytest

from tenantguard.errors import Unauthorized
from tenantguard.killswitch.auth import Actor
from tenantguard.killswitch.refusals import MANY, MAX_SOURCES, WINDOW_SECONDS, record_refusal
from tenantguard.killswitch.store import KillSwitchStore

from .conftest import AUDIT_KEY


def test_two_hundred_refusals_from_one_token_are_one_entry(sqlite_url):
    st = KillSwitchStore(sqlite_url, key=AUDIT_KEY)
    for _ in range(200):
        with pytest.raises(Unauthorized):
            st.actors.authenticate("tgk_the-same-guess", attempted="engage")
    refused = [e for e in st.audit.entries()]
    assert len(refused) == 1 and refused[0].action == "refused"
    with st.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count FROM ks_refusals").scalar_one() == 200


def test_rotating_tokens_share_one_source_past_the_cap(sqlite_url):
    st = KillSwitchStore(sqlite_url, key=AUDIT_KEY)
    for i in range(MAX_SOURCES + 15):
        with pytest.raises(Unauthorized):
            st.actors.authenticate(f"tgk_guess-{i}", attempted="engage")
    entries = list(st.audit.entries())
    assert len(entries) == MAX_SOURCES + 1 and entries[-1].actor == MANY
    assert st.audit.verify().ok


def test_a_closed_windows_count_is_chained_once(sqlite_url):
    st = KillSwitchStore(sqlite_url, key=AUDIT_KEY)
    t0 = 1_800_000_000.0
    for i in range(5):
        with st.audit.write_tx() as conn:
            record_refusal(conn, st.audit, fingerprint="mallory", role="viewer", attempted="engage", scope=None,
                           why="role viewer below responder", now=t0 + i)
    with st.audit.write_tx() as conn:  # next window: closes the first
        record_refusal(conn, st.audit, fingerprint="mallory", role="viewer", attempted="engage", scope=None,
                       why="role viewer below responder", now=t0 + WINDOW_SECONDS + 1)
    actions = [(e.action, e.after.get("count")) for e in st.audit.entries()]
    assert actions == [("refused", None), ("refused.count", 5), ("refused", None)]


def test_an_allowed_action_writes_no_refusal(sqlite_url):
    st = KillSwitchStore(sqlite_url, key=AUDIT_KEY)
    st.actors.authorize(Actor("rita", "responder"), "engage")
    assert list(st.audit.entries()) == []

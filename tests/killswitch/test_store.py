"""The store: engage/release semantics, audit in the same transaction, expiry, concurrent flips."""
from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest

from tenantguard.errors import ScopeInvalid, SwitchNotFound, Unauthorized
from tenantguard.killswitch.auth import Actor
from tenantguard.killswitch.scope import Scope
from tenantguard.killswitch.store import KillSwitchStore
from tenantguard.killswitch.switch import Fallback, utcnow

from .conftest import AUDIT_KEY, RESPONDER


def test_engage_release_are_audited_with_before_and_after(db_url):
    st = KillSwitchStore(db_url, key=AUDIT_KEY)
    r = st.engage(Scope(feature="support-assistant", tenant="acme"), actor=RESPONDER, reason="leak suspected",
                  fallback=Fallback("safe_response", "Temporarily unavailable"), incident_id="INC-7")
    assert r.changed and r.switch.engaged and r.switch.scope.tenant == "acme"
    r2 = st.release(r.switch.id, actor=RESPONDER, reason="fixed")
    assert r2.changed and not r2.switch.engaged and r2.switch.incident_id == "INC-7"
    entries = list(st.audit.entries())
    assert [(e.action, e.seq) for e in entries] == [("engage", r.audit_seq), ("release", r2.audit_seq)]
    assert entries[0].before is None and entries[0].after["fallback"]["mode"] == "safe_response"
    assert entries[1].before["state"] == "engaged" and entries[1].after["state"] == "released"
    assert entries[0].actor == "system:tests" and entries[0].role == "responder"
    assert entries[0].scope == {"feature": "support-assistant", "tenant": "acme", "region": None}
    assert st.version() == 2 and st.audit.verify().ok


def test_repeating_an_action_whose_goal_is_reached_does_nothing(sqlite_url):
    st = KillSwitchStore(sqlite_url, key=AUDIT_KEY)
    first = st.engage({"tenant": "acme"}, actor=RESPONDER, reason="x")
    again = st.engage({"tenant": "acme"}, actor=RESPONDER, reason="x again")
    assert again.switch.id == first.switch.id and not again.changed and again.audit_seq is None
    changed_fallback = st.engage({"tenant": "acme"}, actor=RESPONDER, reason="y", fallback=Fallback("previous_version"))
    assert changed_fallback.changed and changed_fallback.switch.id == first.switch.id
    st.release({"tenant": "acme"}, actor=RESPONDER, reason="done")
    assert not st.release({"tenant": "acme"}, actor=RESPONDER, reason="done").changed
    assert st.version() == 3 and st.audit.verify().n_entries == 3


def test_global_scope_needs_explicit_permission(sqlite_url):
    st = KillSwitchStore(sqlite_url, key=AUDIT_KEY)
    with pytest.raises(ScopeInvalid, match="every request"):
        st.engage(Scope(), actor=RESPONDER, reason="x")
    assert st.engage(Scope(), actor=RESPONDER, reason="x", allow_global=True).switch.scope.is_global


def test_reason_required_and_unknown_switch_reported(sqlite_url):
    st = KillSwitchStore(sqlite_url, key=AUDIT_KEY)
    with pytest.raises(ScopeInvalid, match="--reason"):
        st.engage({"tenant": "acme"}, actor=RESPONDER, reason=" ")
    with pytest.raises(SwitchNotFound, match="--id 42"):
        st.release(42, actor=RESPONDER, reason="x")
    with pytest.raises(SwitchNotFound, match="tenant=acme"):
        st.get({"tenant": "acme"})


def test_viewer_cannot_engage_and_the_refusal_is_audited(sqlite_url):
    st = KillSwitchStore(sqlite_url, key=AUDIT_KEY)
    with pytest.raises(Unauthorized, match="viewer"):
        st.engage({"tenant": "acme"}, actor=Actor("vera", "viewer"), reason="x")
    assert st.list() == []
    [entry] = st.audit.entries()
    assert entry.action == "refused" and entry.actor == "vera" and entry.after["attempted"] == "engage"


def test_shadow_switch_cannot_downgrade_an_enforced_one(sqlite_url):
    st = KillSwitchStore(sqlite_url, key=AUDIT_KEY)
    st.engage({"tenant": "acme"}, actor=RESPONDER, reason="incident")
    with pytest.raises(ScopeInvalid, match="enforced"):
        st.engage({"tenant": "acme"}, actor=RESPONDER, reason="drill", shadow=True)
    assert st.get({"tenant": "acme"}).mode == "enforce"


def test_expire_due_releases_expired_switches_as_audited_system_actor(sqlite_url):
    st = KillSwitchStore(sqlite_url, key=AUDIT_KEY)
    soon = utcnow() + timedelta(seconds=1.5)  # wide margin: the machine may be busy
    st.engage({"tenant": "acme"}, actor=RESPONDER, reason="short", expires_at=soon)
    st.engage({"tenant": "globex"}, actor=RESPONDER, reason="long", expires_at=utcnow() + timedelta(hours=1))
    assert st.expire_due() == []
    while utcnow() <= soon:
        time.sleep(0.05)
    [done] = st.expire_due()
    assert done.switch.scope.tenant == "acme" and not done.switch.engaged
    last = list(st.audit.entries())[-1]
    assert last.action == "expire" and last.actor == "system:expiry"
    assert [s.scope.tenant for s in st.list()] == ["globex"]
    with pytest.raises(ScopeInvalid, match="past"):
        st.engage({"tenant": "acme"}, actor=RESPONDER, reason="x", expires_at=utcnow() - timedelta(seconds=1))


def test_engage_many_is_one_transaction(sqlite_url):
    st = KillSwitchStore(sqlite_url, key=AUDIT_KEY)
    results = st.engage_many([{"tenant": f"t{i}"} for i in range(20)], actor=RESPONDER, reason="bulk")
    assert len({r.switch.id for r in results}) == 20 and st.version() == 20
    with pytest.raises(ScopeInvalid):
        st.engage_many([{"tenant": "zz"}, {"tenant": "Bad"}], actor=RESPONDER, reason="bulk")
    assert len(st.list()) == 20  # the bad scope aborted the whole batch before writing


def test_concurrent_toggles_lose_no_update(db_url):
    """8 writers toggle 4 shared switches; every reported change is in the version and the chain."""
    KillSwitchStore(db_url, key=AUDIT_KEY)
    changes = [0] * 8
    scopes = [Scope(tenant=f"t{i}") for i in range(4)]

    def writer(w: int) -> None:
        st = KillSwitchStore(db_url, key=AUDIT_KEY)
        actor = Actor.system(f"writer-{w}")
        for i in range(12):
            scope = scopes[(w + i) % 4]
            try:
                engaged = st.get(scope).engaged
            except Exception:
                engaged = False
            r = (st.release(scope, actor=actor, reason="flip") if engaged
                 else st.engage(scope, actor=actor, reason="flip"))
            changes[w] += r.changed
        st.engine.dispose()

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    st = KillSwitchStore(db_url, key=AUDIT_KEY)
    entries = list(st.audit.entries())
    assert st.audit.verify().ok
    assert sum(changes) == st.version() == len(entries) > 0
    # Replaying the chain gives exactly the stored final state of each switch.
    final: dict[str, str] = {}
    for e in entries:
        final[e.scope["tenant"]] = e.after["state"]
    assert final == {s.scope.tenant: s.state for s in st.list(state=None)}
    # And every audit entry's `before` is the previous entry's `after` for that switch: no lost update.
    last: dict[str, dict] = {}
    for e in entries:
        t = e.scope["tenant"]
        if t in last:
            assert e.before == last[t]
        last[t] = e.after


def test_unreachable_database_is_a_one_line_store_error(tmp_path):
    from tenantguard.errors import StoreUnavailable

    with pytest.raises(StoreUnavailable, match="unreachable"):
        KillSwitchStore("postgresql+psycopg2://nobody@127.0.0.1:1/nowhere", key=AUDIT_KEY)
    with pytest.raises(StoreUnavailable, match="not a SQLAlchemy URL"):
        KillSwitchStore("not a url", key=AUDIT_KEY)

"""The serving client: correct decisions from the snapshot, staleness on outage, never raising."""
from __future__ import annotations

import random
import time
from datetime import timedelta

import pytest

from tenantguard.killswitch.client import KillSwitchClient, Snapshot
from tenantguard.killswitch.scope import Scope
from tenantguard.killswitch.store import KillSwitchStore
from tenantguard.killswitch.switch import Fallback, utcnow

from .conftest import AUDIT_KEY, RESPONDER

FEATURES, TENANTS, REGIONS = ["fa", "fb", "fc"], ["ta", "tb", "tc", "td"], ["ra", "rb"]


def _client(url: str, **kw) -> KillSwitchClient:
    return KillSwitchClient(url, background=False, stale_after=3600, **kw)


def test_decisions_agree_with_the_definition_on_random_switch_sets(sqlite_url):
    """Seeded property check: check() kills exactly when some engaged switch's scope matches."""
    rng = random.Random(6)
    st = KillSwitchStore(sqlite_url, key=AUDIT_KEY)
    scopes = {Scope(rng.choice([None, *FEATURES]), rng.choice([None, *TENANTS]), rng.choice([None, *REGIONS]))
              for _ in range(25)} - {Scope()}
    st.engage_many(scopes, actor=RESPONDER, reason="property")
    with _client(sqlite_url) as c:
        for f in [*FEATURES, "other", None]:
            for t in [*TENANTS, "other"]:
                for r in [*REGIONS, None]:
                    d = c.check(f, t, r)
                    matching = [s for s in scopes if s.matches(f, t, r)]
                    assert d.killed == bool(matching), (f, t, r)
                    if d.killed:
                        named = st.get(d.switch_id).scope
                        assert named in matching
                        # The most specific matching switch decides.
                        assert sum(v is not None for v in named.key) == max(
                            sum(v is not None for v in s.key) for s in matching)


def test_decision_carries_fallback_and_reason(sqlite_url):
    st = KillSwitchStore(sqlite_url, key=AUDIT_KEY)
    sw = st.engage({"feature": "support-assistant", "tenant": "acme"}, actor=RESPONDER, reason="canary leak",
                   fallback=Fallback("safe_response", "Unavailable right now")).switch
    with _client(sqlite_url) as c:
        d = c.check("support-assistant", "acme", "eu-west")
        assert d.killed and d.switch_id == sw.id and d.reason == "canary leak" and not d.stale
        assert d.fallback == Fallback("safe_response", "Unavailable right now")
        assert not c.check("support-assistant", "globex", "eu-west").killed
        assert not c.check("search", "acme", "eu-west").killed


def test_refresh_picks_up_engage_and_release_by_version(sqlite_url):
    st = KillSwitchStore(sqlite_url, key=AUDIT_KEY)
    with _client(sqlite_url) as c:
        assert not c.check("f1", "acme").killed and c.version == 0
        sw = st.engage({"tenant": "acme"}, actor=RESPONDER, reason="x").switch
        assert not c.check("f1", "acme").killed  # not yet polled
        c.refresh()
        assert c.check("f1", "acme").killed and c.version == 1
        st.release(sw.id, actor=RESPONDER, reason="y")
        c.refresh()
        assert not c.check("f1", "acme").killed and c.version == 2


def test_background_poll_observes_a_flip(sqlite_url):
    st = KillSwitchStore(sqlite_url, key=AUDIT_KEY)
    with KillSwitchClient(sqlite_url, poll_interval=0.02) as c:
        st.engage({"region": "eu-west"}, actor=RESPONDER, reason="x")
        deadline = time.monotonic() + 20  # generous: a liveness check, not a timing assertion
        while not c.check("f", "acme", "eu-west").killed and time.monotonic() < deadline:
            time.sleep(0.01)
        assert c.check("f", "acme", "eu-west").killed


def test_expired_switch_stops_killing_before_anyone_releases_it(sqlite_url):
    st = KillSwitchStore(sqlite_url, key=AUDIT_KEY)
    soon = utcnow() + timedelta(seconds=1.5)  # wide margin: the machine may be busy
    st.engage({"tenant": "acme"}, actor=RESPONDER, reason="short", expires_at=soon)
    st.engage({"region": "eu-west"}, actor=RESPONDER, reason="regional")
    with _client(sqlite_url) as c:
        assert c.check("f", "acme", "us-east").killed
        while utcnow() <= soon:
            time.sleep(0.05)
        assert not c.check("f", "acme", "us-east").killed
        # An expired specific switch does not hide a broader live one.
        assert c.check("f", "acme", "eu-west").killed


def test_shadow_switch_reports_would_kill_without_killing(sqlite_url):
    st = KillSwitchStore(sqlite_url, key=AUDIT_KEY)
    sw = st.engage({"tenant": "acme"}, actor=RESPONDER, reason="drill", shadow=True).switch
    st.engage({"feature": "search"}, actor=RESPONDER, reason="real")
    with _client(sqlite_url) as c:
        d = c.check("support-assistant", "acme", None)
        assert not d.killed and d.shadow and d.switch_id == sw.id
        assert c.shadow_hits[sw.id] == 1
        enforced = c.check("search", "acme", None)
        assert enforced.killed and not enforced.shadow  # an enforced switch wins over a shadow one


def test_sqlite_outage_serves_last_snapshot_flagged_stale_then_recovers(tmp_path):
    path = tmp_path / "ks.db"
    url = f"sqlite:///{path}"
    st = KillSwitchStore(url, key=AUDIT_KEY)
    sw = st.engage({"tenant": "acme"}, actor=RESPONDER, reason="x").switch
    st.engine.dispose()
    with _client(url) as c:
        assert c.check("f", "acme").killed
        moved = tmp_path / "moved.db"
        for p in tmp_path.glob("ks.db*"):
            p.rename(moved.with_name(p.name.replace("ks.db", "moved.db")))
        assert c.refresh() is False
        d = c.check("f", "acme")
        assert d.killed and d.stale and d.switch_id == sw.id
        miss = c.check("f", "globex")
        assert not miss.killed and miss.stale
        assert not path.exists()  # the client never creates an empty database in its place
        assert c.last_error
        for p in tmp_path.glob("moved.db*"):
            p.rename(path.with_name(p.name.replace("moved.db", "ks.db")))
        assert c.refresh() is True
        assert not c.check("f", "acme").stale and c.last_error is None


def test_fail_closed_client_kills_everything_while_the_store_is_unreachable(tmp_path):
    url = f"sqlite:///{tmp_path / 'missing.db'}"
    with _client(url, fail_closed=True) as c:
        d = c.check("f", "acme", "eu-west")
        assert d.killed and d.stale and d.switch_id is None and "unreachable" in d.reason
    with _client(url) as open_client:
        d = open_client.check("f", "acme", "eu-west")
        assert not d.killed and d.stale


def test_postgres_outage_mid_flight_serves_stale_snapshot(pg_proxy_url):
    url, proxy = pg_proxy_url
    st = KillSwitchStore(url, key=AUDIT_KEY)
    sw = st.engage({"feature": "search", "region": "eu-west"}, actor=RESPONDER, reason="x").switch
    st.engine.dispose()
    with _client(url) as c:
        assert c.check("search", "acme", "eu-west").killed and not c.check("search", "acme", "eu-west").stale
        proxy.cut()
        assert c.refresh() is False
        d = c.check("search", "acme", "eu-west")
        assert d.killed and d.stale and d.switch_id == sw.id


def test_check_never_raises_even_on_garbage_input(sqlite_url):
    KillSwitchStore(sqlite_url, key=AUDIT_KEY).engage({"tenant": "acme"}, actor=RESPONDER, reason="x")
    with _client(sqlite_url) as c:
        d = c.check("f", ["unhashable"], None)  # type: ignore[arg-type]
        assert d.stale and not d.killed
    with _client(sqlite_url, fail_closed=True) as c:
        assert c.check("f", {"x": 1}, None).killed  # type: ignore[arg-type]


def test_client_becomes_stale_when_polls_stop(sqlite_url):
    KillSwitchStore(sqlite_url, key=AUDIT_KEY)
    with KillSwitchClient(sqlite_url, background=False, stale_after=1.0) as c:
        assert not c.check("f", "t").stale
        time.sleep(1.1)
        assert c.check("f", "t").stale


def test_snapshot_indexes_only_the_patterns_in_use():
    from tenantguard.killswitch.switch import Switch

    def sw(i, **scope):
        return Switch(id=i, scope=Scope(**scope), state="engaged", mode="enforce", fallback=Fallback(), reason="r",
                      incident_id=None, actor="a", updated_at=utcnow())

    snap = Snapshot.build(3, [sw(1, tenant="ta"), sw(2, tenant="tb"), sw(3, feature="fa", tenant="ta")])
    assert snap.patterns == ((True, True, False, False), (False, True, False, False))
    assert snap.index[(None, "tb", None, None)].switch_id == 2


def test_poll_interval_must_be_positive(sqlite_url):
    with pytest.raises(ValueError, match="poll_interval"):
        KillSwitchClient(sqlite_url, poll_interval=0)


def test_a_key_switch_kills_that_key_only_and_beats_a_broader_switch(sqlite_url):
    st = KillSwitchStore(sqlite_url, key=AUDIT_KEY)
    key = st.engage(Scope(feature="chat", tenant="acme", api_key="ak-7f3e"), actor=RESPONDER, reason="extraction").switch
    with _client(sqlite_url) as c:
        assert c.check("chat", "acme", "eu", "ak-7f3e").switch_id == key.id
        assert not c.check("chat", "acme", "eu", "ak-other").killed
        assert not c.check("chat", "acme", "eu").killed  # a request without a key is not that key's
        assert not c.check("chat", "globex", "eu", "ak-7f3e").killed  # the same string in another tenant
    tenant = st.engage(Scope(feature="chat", tenant="acme"), actor=RESPONDER, reason="leak").switch
    with _client(sqlite_url) as c:
        assert c.check("chat", "acme", "eu", "ak-7f3e").switch_id == key.id  # the most specific switch is named
        assert c.check("chat", "acme", "eu", "ak-other").switch_id == tenant.id

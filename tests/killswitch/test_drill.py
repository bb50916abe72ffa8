"""Drills with real client processes: measured, released, audited."""
from __future__ import annotations

import pytest

from tenantguard.errors import ScopeInvalid
from tenantguard.killswitch.drill import DRILL_SCOPE, drill_scope, run_drill
from tenantguard.killswitch.scope import Scope
from tenantguard.killswitch.store import KillSwitchStore

from .conftest import AUDIT_KEY, RESPONDER


def test_synthetic_drill_measures_clients_releases_and_audits(sqlite_url):
    st = KillSwitchStore(sqlite_url, key=AUDIT_KEY)
    result = run_drill(st, sqlite_url, actor=RESPONDER, clients=2, poll_interval=0.02, timeout=60)
    assert result.ok and len(result.engage_seconds) == 2 and len(result.release_seconds) == 2
    assert all(t >= 0 for t in result.engage_seconds + result.release_seconds)
    assert not st.get(DRILL_SCOPE).engaged
    entries = list(st.audit.entries())
    assert [e.action for e in entries] == ["engage", "release", "drill"]
    drill = entries[-1]
    assert drill.seq == result.audit_seq and drill.after["clients"] == 2 and drill.after["timeouts"] == 0
    assert drill.after["engage_observed_s"]["max"] == pytest.approx(max(result.engage_seconds), abs=1e-5)
    assert st.audit.verify().ok


def test_shadow_drill_on_a_real_scope_never_enforces(sqlite_url):
    st = KillSwitchStore(sqlite_url, key=AUDIT_KEY)
    scope = Scope(feature="support-assistant", tenant="acme")
    result = run_drill(st, sqlite_url, actor=RESPONDER, scope=scope, shadow=True, clients=1, poll_interval=0.02,
                       timeout=60)
    assert result.ok and result.shadow
    engage = next(e for e in st.audit.entries() if e.action == "engage")
    assert engage.after["mode"] == "shadow"


def test_drill_refuses_real_scope_without_shadow_and_live_switches(sqlite_url):
    st = KillSwitchStore(sqlite_url, key=AUDIT_KEY)
    with pytest.raises(ScopeInvalid, match="shadow"):
        run_drill(st, sqlite_url, actor=RESPONDER, scope=Scope(tenant="acme"))
    st.engage({"tenant": "acme"}, actor=RESPONDER, reason="real incident")
    with pytest.raises(ScopeInvalid, match="live switch"):
        run_drill(st, sqlite_url, actor=RESPONDER, scope=Scope(tenant="acme"), shadow=True)
    with pytest.raises(ScopeInvalid, match="real tenant"):
        drill_scope(["acme", "tg-drill"])
    assert drill_scope(["acme"]) == DRILL_SCOPE

"""Actors, roles and tokens: bootstrap, hashing, refusals audited."""
from __future__ import annotations

import pytest

from tenantguard.errors import ConfigError, Unauthorized
from tenantguard.killswitch.auth import Actor, token_digest
from tenantguard.killswitch.store import KillSwitchStore


def test_first_admin_bootstrap_only_once(db_url):
    st = KillSwitchStore(db_url)
    token = st.actors.init_admin("alice")
    assert token.startswith("tgk_") and len(token) > 40
    with pytest.raises(Unauthorized, match="already exists"):
        st.actors.init_admin("mallory")
    assert st.actors.authenticate(token, attempted="status") == Actor("alice", "admin")
    assert [e.action for e in st.audit.entries()] == ["actor.init"]


def test_tokens_are_stored_only_as_digests(sqlite_url, tmp_path):
    st = KillSwitchStore(sqlite_url)
    token = st.actors.init_admin("alice")
    bob = st.actors.add(Actor("alice", "admin"), "bob", "responder")
    with st.engine.connect() as conn:
        stored = [r[0] for r in conn.exec_driver_sql("SELECT token_sha256 FROM ks_actors")]
    assert sorted(stored) == sorted([token_digest(token), token_digest(bob)])
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("ks.db*"))
    assert token.encode() not in raw and bob.encode() not in raw


def test_roles_gate_actions(sqlite_url):
    st = KillSwitchStore(sqlite_url)
    admin_token = st.actors.init_admin("alice")
    admin = st.actors.authenticate(admin_token, attempted="actor.add", needed="admin")
    viewer_token = st.actors.add(admin, "vic", "viewer")
    responder_token = st.actors.add(admin, "rita", "responder")
    rita = st.actors.authenticate(responder_token, attempted="engage", needed="responder")
    assert rita.role == "responder"
    with pytest.raises(Unauthorized, match="viewer"):
        st.actors.authenticate(viewer_token, attempted="engage", needed="responder")
    with pytest.raises(Unauthorized, match="responder"):
        st.actors.add(rita, "eve", "admin")
    refusals = [e for e in st.audit.entries() if e.action == "refused"]
    assert [(e.actor, e.after["attempted"]) for e in refusals] == [("vic", "engage"), ("rita", "actor.add")]
    with pytest.raises(ConfigError, match="--role"):
        st.actors.add(admin, "eve", "superuser")
    with pytest.raises(ConfigError, match="exists"):
        st.actors.add(admin, "rita", "viewer")


def test_unknown_missing_and_revoked_tokens_are_refused_and_audited(db_url):
    st = KillSwitchStore(db_url)
    admin = Actor("alice", "admin")
    st.actors.init_admin("alice")
    bob = st.actors.add(admin, "bob", "responder")
    with pytest.raises(Unauthorized, match="unknown"):
        st.actors.authenticate("tgk_guess", attempted="engage", scope={"tenant": "acme"})
    with pytest.raises(Unauthorized, match="TENANTGUARD_TOKEN"):
        st.actors.authenticate(None, attempted="engage")
    assert st.actors.revoke(admin, "bob", reason="left the team")
    assert not st.actors.revoke(admin, "bob")
    with pytest.raises(Unauthorized, match="revoked"):
        st.actors.authenticate(bob, attempted="release")
    refused = [e for e in st.audit.entries() if e.action == "refused"]
    assert [e.reason for e in refused] == ["unknown token", "no token given", "revoked token of 'bob'"]
    assert refused[0].actor == f"token:{token_digest('tgk_guess')[:12]}" and refused[0].scope["tenant"] == "acme"
    assert "tgk_guess" not in str([e.as_dict() for e in st.audit.entries()])
    assert st.audit.verify().ok


def test_system_actor_is_a_responder_by_default():
    a = Actor.system("production_watch")
    assert a.name == "system:production_watch" and a.role == "responder" and a.is_system
    assert a.allows("responder") and not a.allows("admin")
    with pytest.raises(ConfigError):
        Actor.system("x", role="root")



def test_actor_names_cannot_impersonate_system_actors(sqlite_url):
    st = KillSwitchStore(sqlite_url)
    with pytest.raises(ConfigError, match="--name"):
        st.actors.init_admin("system:sneaky")

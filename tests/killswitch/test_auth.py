"""Actors, roles and tokens: bootstrap, hashing, refusals audited."""
from __future__ import annotations

import pytest

from tenantguard.errors import ConfigError, Unauthorized
from tenantguard.killswitch.auth import Actor, token_digest
from tenantguard.killswitch.store import KillSwitchStore

from .conftest import AUDIT_KEY


def test_first_admin_bootstrap_only_once(db_url):
    st = KillSwitchStore(db_url, key=AUDIT_KEY)
    token = st.actors.init_admin("alice")
    assert token.startswith("tgk_") and len(token) > 40
    with pytest.raises(Unauthorized, match="has had actors"):
        st.actors.init_admin("mallory")
    assert st.actors.authenticate(token, attempted="status") == Actor("alice", "admin")
    assert [e.action for e in st.audit.entries()] == ["actor.init"]


def test_tokens_are_stored_only_as_digests(sqlite_url, tmp_path):
    st = KillSwitchStore(sqlite_url, key=AUDIT_KEY)
    token = st.actors.init_admin("alice")
    bob = st.actors.add(Actor("alice", "admin"), "bob", "responder")
    with st.engine.connect() as conn:
        stored = [r[0] for r in conn.exec_driver_sql("SELECT token_sha256 FROM ks_actors")]
    assert sorted(stored) == sorted([token_digest(token), token_digest(bob)])
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("ks.db*"))
    assert token.encode() not in raw and bob.encode() not in raw


def test_roles_gate_actions(sqlite_url):
    st = KillSwitchStore(sqlite_url, key=AUDIT_KEY)
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
    st = KillSwitchStore(db_url, key=AUDIT_KEY)
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
    st = KillSwitchStore(sqlite_url, key=AUDIT_KEY)
    with pytest.raises(ConfigError, match="--name"):
        st.actors.init_admin("system:sneaky")


# -- issue 15, finding 4: bootstrap and recovery -------------------------------------------------------------

def test_init_is_refused_after_the_only_admin_revoked_itself(sqlite_url):
    st = KillSwitchStore(sqlite_url, key=AUDIT_KEY)
    st.actors.init_admin("alice")
    assert st.actors.revoke(Actor("alice", "admin"), "alice", reason="leaving")
    with pytest.raises(Unauthorized, match="has had actors"):
        st.actors.init_admin("intruder")
    assert [a["name"] for a in st.actors.list()] == ["alice"]


def test_init_is_refused_when_the_actor_rows_were_deleted_but_the_chain_remembers(sqlite_url):
    st = KillSwitchStore(sqlite_url, key=AUDIT_KEY)
    st.actors.init_admin("alice")
    with st.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM ks_actors")
    with pytest.raises(Unauthorized, match="has had actors"):
        st.actors.init_admin("intruder")


def test_recovery_needs_the_secret_that_keys_the_chain_and_no_active_admin(sqlite_url):
    st = KillSwitchStore(sqlite_url, key=AUDIT_KEY)
    st.actors.init_admin("alice")
    with pytest.raises(Unauthorized, match="active admin exists"):
        st.actors.recover_admin("bob", AUDIT_KEY, reason="lost")
    st.actors.revoke(Actor("alice", "admin"), "alice", reason="leaving")
    with pytest.raises(Unauthorized, match="does not key this audit chain"):
        st.actors.recover_admin("intruder", b"a guess at the project secret key", reason="mine now")
    token = st.actors.recover_admin("bob", AUDIT_KEY, reason="alice left without handing over")
    assert st.actors.authenticate(token, attempted="actor.add") == Actor("bob", "admin")
    assert [e.action for e in st.audit.entries()][-1] == "actor.recover" and st.audit.verify().ok


def test_recovery_of_a_store_that_never_had_an_actor_is_init(sqlite_url):
    st = KillSwitchStore(sqlite_url, key=AUDIT_KEY)
    with pytest.raises(Unauthorized, match="actors init"):
        st.actors.recover_admin("bob", AUDIT_KEY, reason="x")


# -- the one authorization path --------------------------------------------------------------------------------

@pytest.mark.parametrize("action", ["override", "abuse.ack", "actor.add", "threshold.override"])
def test_tenantguard_itself_may_not_take_a_persons_decisions(sqlite_url, action):
    st = KillSwitchStore(sqlite_url, key=AUDIT_KEY)
    with pytest.raises(Unauthorized, match="needs a person"):
        st.actors.authorize(Actor.system("gate", run_id="run-1"), action)
    [entry] = st.audit.entries()
    assert (entry.action, entry.actor, entry.after["attempted"]) == ("refused", "system:gate", action)


@pytest.mark.parametrize("role, action, allowed", [
    ("viewer", "rollback", False), ("responder", "rollback", True), ("responder", "override", False),
    ("admin", "override", True), ("responder", "abuse.ack", True), ("viewer", "abuse.ack", False),
    ("admin", "no-such-action", False)])
def test_policy_decides_by_role(sqlite_url, role, action, allowed):
    st = KillSwitchStore(sqlite_url, key=AUDIT_KEY)
    if allowed:
        st.actors.authorize(Actor("pat", role), action)
    else:
        with pytest.raises(Unauthorized):
            st.actors.authorize(Actor("pat", role), action)
    assert len(list(st.audit.entries())) == (0 if allowed else 1)

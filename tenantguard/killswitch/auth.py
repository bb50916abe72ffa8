"""Actors, roles, tokens and the one authorization path every state change takes (`ActorRegistry.authorize`).

Tokens are shown once and stored as sha256 digests. A plain sha256 (not a slow password hash) is enough:
tokens are 256-bit random strings, so there is nothing to brute-force, and authentication stays cheap.

The boundary is the token: the CLI authenticates every call. In-process callers (the gate inside a Dagster
run, sensors, the kill_switch job) act as `Actor.system(name, run_id=...)`, which is still authorized
against POLICY and audited with the run id. Refusals are audited without letting anyone flood the log:
one entry per actor or token fingerprint per window, and the window's count when it closes
(killswitch/refusals.py).
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

import sqlalchemy as sa

from tenantguard.errors import ConfigError, Unauthorized
from tenantguard.killswitch import schema
from tenantguard.killswitch.audit import AuditLog, entry_from_row
from tenantguard.killswitch.refusals import record_refusal
from tenantguard.killswitch.switch import iso, utcnow

ROLES = ("viewer", "responder", "admin")
_RANK = {r: i for i, r in enumerate(ROLES)}
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._@-]{0,63}$")
TOKEN_PREFIX = "tgk_"

# Every action and the least role a person needs for it; `system` says whether in-process tenantguard code
# (the gate, a sensor, a job) may take it without a token. Actions not listed are refused.
POLICY: dict[str, tuple[str, bool]] = {
    "status": ("viewer", True), "list": ("viewer", True), "engage --dry-run": ("viewer", True),
    "engage": ("responder", True), "release": ("responder", True), "expire": ("responder", True),
    "drill": ("responder", True),
    "rollback": ("responder", True),
    "abuse.ack": ("responder", False),
    "promote": ("admin", True), "reject": ("admin", True), "champion.restore": ("admin", True),
    "dataset.block": ("admin", True),
    "override": ("admin", False),  # re-promoting a rejected or rolled-back version: a person decides
    "threshold.override": ("admin", False), "policy.override": ("admin", False),
    "actor.add": ("admin", False), "actor.revoke": ("admin", False), "actor.list": ("admin", False),
    "audit.anchor": ("viewer", True),
}


@dataclass(frozen=True)
class Actor:
    name: str
    role: str
    is_system: bool = False
    run_id: str | None = None  # the Dagster run a system actor acts in

    @classmethod
    def system(cls, component: str, role: str = "responder", *, run_id: str | None = None) -> "Actor":
        """An in-process component (e.g. the gate in a Dagster run) acting without a token."""
        if role not in ROLES:
            raise ConfigError(f"system actor role {role!r}: expected one of {', '.join(ROLES)}")
        return cls(name=f"system:{component}", role=role, is_system=True, run_id=run_id)

    def allows(self, needed: str) -> bool:
        return _RANK.get(self.role, -1) >= _RANK[needed]


SYSTEM_ACTOR = Actor.system("tenantguard")


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def needed_role(action: str) -> str:
    if action not in POLICY:
        raise Unauthorized(f"{action}: not an action tenantguard authorizes (known: {', '.join(sorted(POLICY))})")
    return POLICY[action][0]


def permits(actor: Actor, action: str) -> str | None:
    """None when `actor` may take `action`, else why not."""
    if action not in POLICY:
        return f"{action} is not an authorized action"
    needed, system_ok = POLICY[action]
    if actor.is_system:
        return None if system_ok else f"{action} needs a person with role {needed} and a token; tenantguard may not"
    if not actor.allows(needed):
        return f"role {actor.role} below {needed}"
    return None


class ActorRegistry:
    """Actors of one kill-switch database; every change and every refusal goes to its audit log."""

    def __init__(self, audit: AuditLog) -> None:
        self.audit = audit
        self.engine = audit.engine

    def authenticate(self, token: str | None, *, attempted: str, scope: dict | None = None,
                     needed: str | None = None) -> Actor:
        """The actor owning `token` if POLICY (or `needed`) lets it take `attempted`; otherwise audit and raise."""
        needed = needed or needed_role(attempted)
        if not token:
            self._refuse("anonymous", "none", attempted, scope, "no token given")
            raise Unauthorized(f"{attempted} needs a token: pass --token or set TENANTGUARD_TOKEN "
                               f"(an admin creates one with `tenantguard killswitch actors add`)")
        t = schema.actors
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(t).where(t.c.token_sha256 == token_digest(token))).first()
        if row is None or row.revoked_at is not None:
            why = "unknown token" if row is None else f"revoked token of {row.name!r}"
            # Only a digest prefix is logged, so repeated attempts correlate without storing the token.
            self._refuse(f"token:{token_digest(token)[:12]}", "none", attempted, scope, why)
            raise Unauthorized(f"{attempted}: the token is {'unknown' if row is None else 'revoked'}; "
                               f"ask an admin for a valid one")
        actor = Actor(name=row.name, role=row.role)
        if not actor.allows(needed):
            self._refuse(actor.name, actor.role, attempted, scope, f"role {actor.role} below {needed}")
            raise Unauthorized(f"actor {actor.name!r} has role {actor.role!r}; {attempted} needs {needed} or above")
        return actor

    def authorize(self, actor: Actor, action: str, scope: dict | None = None) -> None:
        """The one authorization check of every state change: audit the refusal and raise unless POLICY
        lets `actor` take `action`. Call it before taking the writer lock."""
        why = permits(actor, action)
        if why is not None:
            self._refuse(actor.name, actor.role, action, scope, why)
            raise Unauthorized(f"actor {actor.name!r} (role {actor.role}) may not {action}: {why}")

    def init_admin(self, name: str) -> str:
        """Create the first admin of a store that never had an actor and return its token."""
        _check_name(name)
        token = new_token()
        with self.audit.write_tx() as conn:
            had = conn.execute(sa.select(schema.actors.c.name).limit(1)).first() or conn.execute(
                sa.select(schema.audit.c.seq).where(schema.audit.c.action.like("actor.%")).limit(1)).first()
            if had:
                raise Unauthorized("this store has had actors: `actors init` bootstraps a new store only; an admin "
                                   "runs `tenantguard killswitch actors add`, and with no admin left see "
                                   "`actors recover` in docs/operations.md")
            self._insert(conn, name, "admin", token, created_by="bootstrap")
            self.audit.append_in(conn, actor=name, role="admin", action="actor.init", scope={}, before=None,
                                 after={"name": name, "role": "admin"}, reason="bootstrap of the first admin")
        return token

    def recover_admin(self, name: str, proof_key: bytes, *, reason: str) -> str:
        """With no active admin left, create one: `proof_key` (the audit key derived from the project secret
        the operator holds) must verify the newest entry of this chain, proving the secret wrote it."""
        _check_name(name)
        if not reason.strip():
            raise ConfigError("--reason is required: say why every admin was lost (it goes to the audit log)")
        token = new_token()
        with self.audit.write_tx() as conn:
            t = schema.actors
            if conn.execute(sa.select(t.c.name).where(t.c.role == "admin", t.c.revoked_at.is_(None))).first():
                raise Unauthorized("an active admin exists: ask them to run `tenantguard killswitch actors add`")
            row = conn.execute(sa.select(schema.audit).order_by(schema.audit.c.seq.desc()).limit(1)).first()
            if row is None:
                raise Unauthorized("the audit chain is empty: a new store is bootstrapped with `actors init`")
            newest = entry_from_row(row._mapping)
            if not hmac.compare_digest(newest.computed_hash(proof_key), newest.hash):
                raise Unauthorized("the secret given does not key this audit chain: recovery needs the project "
                                   "secret that wrote it (TENANTGUARD_SECRET or <home>/secret)")
            if conn.execute(sa.select(t.c.name).where(t.c.name == name)).first():
                raise ConfigError(f"--name {name!r}: an actor with that name exists; pick another")
            self._insert(conn, name, "admin", token, created_by="recovery")
            self.audit.append_in(conn, actor=name, role="admin", action="actor.recover", scope={}, before=None,
                                 after={"name": name, "role": "admin"}, reason=reason)
        return token

    def add(self, admin: Actor, name: str, role: str, *, reason: str = "") -> str:
        """Create an actor (admin only) and return its token."""
        _check_name(name)
        if role not in ROLES:
            raise ConfigError(f"--role {role!r}: expected one of {', '.join(ROLES)}")
        self.authorize(admin, "actor.add")
        token = new_token()
        with self.audit.write_tx() as conn:
            if conn.execute(sa.select(schema.actors.c.name).where(schema.actors.c.name == name)).first():
                raise ConfigError(f"--name {name!r}: an actor with that name exists; pick another or revoke it")
            self._insert(conn, name, role, token, created_by=admin.name)
            self.audit.append_in(conn, actor=admin.name, role=admin.role, action="actor.add", scope={}, before=None,
                                 after={"name": name, "role": role}, reason=reason)
        return token

    def revoke(self, admin: Actor, name: str, *, reason: str = "") -> bool:
        """Revoke an actor's token (admin only); False when it was already revoked."""
        self.authorize(admin, "actor.revoke")
        t = schema.actors
        with self.audit.write_tx() as conn:
            row = conn.execute(sa.select(t).where(t.c.name == name)).first()
            if row is None:
                raise ConfigError(f"--name {name!r}: no such actor (see `tenantguard killswitch actors list`)")
            if row.revoked_at is not None:
                return False
            conn.execute(t.update().where(t.c.name == name).values(revoked_at=iso(utcnow())))
            self.audit.append_in(conn, actor=admin.name, role=admin.role, action="actor.revoke", scope={},
                                 before={"name": name, "role": row.role}, after={"name": name, "revoked": True},
                                 reason=reason)
        return True

    def list(self) -> list[dict]:
        t = schema.actors
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(t.c.name, t.c.role, t.c.created_at, t.c.created_by, t.c.revoked_at)
                                .order_by(t.c.name))
            return [dict(r._mapping) for r in rows]

    def _refuse(self, name: str, role: str, attempted: str, scope: dict | None, why: str) -> None:
        with self.audit.write_tx() as conn:
            record_refusal(conn, self.audit, fingerprint=name, role=role, attempted=attempted, scope=scope, why=why)

    @staticmethod
    def _insert(conn: sa.Connection, name: str, role: str, token: str, *, created_by: str) -> None:
        conn.execute(schema.actors.insert().values(name=name, role=role, token_sha256=token_digest(token),
                                                   created_at=iso(utcnow()), created_by=created_by))


def _check_name(name: str) -> None:
    if not isinstance(name, str) or not NAME_RE.match(name) or name.startswith("system:"):
        raise ConfigError(f"--name {name!r}: use 1-64 lower-case letters, digits, '.', '_', '@' or '-'")

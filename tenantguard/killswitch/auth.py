"""Actors, roles and tokens. Tokens are shown once and stored as sha256 digests.

A plain sha256 (not a slow password hash) is enough: tokens are 256-bit random strings, so there is
nothing to brute-force, and authentication stays cheap.

The boundary is the token: the CLI authenticates every call. In-process callers (Dagster sensors, the
kill_switch job) are already trusted code and act as `Actor.system(name)`, which is still audited.
"""
from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

import sqlalchemy as sa

from tenantguard.errors import ConfigError, Unauthorized
from tenantguard.killswitch import db, schema
from tenantguard.killswitch.audit import append_in
from tenantguard.killswitch.switch import iso, utcnow

ROLES = ("viewer", "responder", "admin")
_RANK = {r: i for i, r in enumerate(ROLES)}
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._@-]{0,63}$")
TOKEN_PREFIX = "tgk_"


@dataclass(frozen=True)
class Actor:
    name: str
    role: str
    is_system: bool = False

    @classmethod
    def system(cls, component: str, role: str = "responder") -> "Actor":
        """An in-process component (e.g. the production_watch sensor) acting without a token."""
        if role not in ROLES:
            raise ConfigError(f"system actor role {role!r}: expected one of {', '.join(ROLES)}")
        return cls(name=f"system:{component}", role=role, is_system=True)

    def allows(self, needed: str) -> bool:
        return _RANK.get(self.role, -1) >= _RANK[needed]


SYSTEM_ACTOR = Actor.system("tenantguard")


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def require(actor: Actor, needed: str, action: str) -> None:
    """Raise Unauthorized unless `actor`'s role reaches `needed` (the caller audits the refusal)."""
    if not actor.allows(needed):
        raise Unauthorized(f"actor {actor.name!r} has role {actor.role!r}; {action} needs {needed} or above")


class ActorRegistry:
    """Actors of one kill-switch database; every change and every refusal goes to its audit log."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def authenticate(self, token: str | None, *, attempted: str, scope: dict | None = None,
                     needed: str = "viewer") -> Actor:
        """The actor owning `token` if its role reaches `needed`; otherwise audit the refusal and raise."""
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
            require(actor, needed, attempted)
        return actor

    def init_admin(self, name: str) -> str:
        """Create the first admin and return its token; refused once any admin exists."""
        _check_name(name)
        token = new_token()
        with db.write_tx(self.engine) as conn:
            t = schema.actors
            if conn.execute(sa.select(t.c.name).where(t.c.role == "admin", t.c.revoked_at.is_(None))).first():
                raise Unauthorized("an admin already exists; ask an admin to run `tenantguard killswitch actors add`")
            self._insert(conn, name, "admin", token, created_by="bootstrap")
            append_in(conn, actor=name, role="admin", action="actor.init", scope={}, before=None,
                      after={"name": name, "role": "admin"}, reason="bootstrap of the first admin")
        return token

    def add(self, admin: Actor, name: str, role: str, *, reason: str = "") -> str:
        """Create an actor (admin only) and return its token."""
        _check_name(name)
        if role not in ROLES:
            raise ConfigError(f"--role {role!r}: expected one of {', '.join(ROLES)}")
        self.require(admin, "admin", "actor.add")
        token = new_token()
        with db.write_tx(self.engine) as conn:
            if conn.execute(sa.select(schema.actors.c.name).where(schema.actors.c.name == name)).first():
                raise ConfigError(f"--name {name!r}: an actor with that name exists; pick another or revoke it")
            self._insert(conn, name, role, token, created_by=admin.name)
            append_in(conn, actor=admin.name, role=admin.role, action="actor.add", scope={}, before=None,
                      after={"name": name, "role": role}, reason=reason)
        return token

    def revoke(self, admin: Actor, name: str, *, reason: str = "") -> bool:
        """Revoke an actor's token (admin only); False when it was already revoked."""
        self.require(admin, "admin", "actor.revoke")
        t = schema.actors
        with db.write_tx(self.engine) as conn:
            row = conn.execute(sa.select(t).where(t.c.name == name)).first()
            if row is None:
                raise ConfigError(f"--name {name!r}: no such actor (see `tenantguard killswitch actors list`)")
            if row.revoked_at is not None:
                return False
            conn.execute(t.update().where(t.c.name == name).values(revoked_at=iso(utcnow())))
            append_in(conn, actor=admin.name, role=admin.role, action="actor.revoke", scope={},
                      before={"name": name, "role": row.role}, after={"name": name, "revoked": True}, reason=reason)
        return True

    def list(self) -> list[dict]:
        t = schema.actors
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(t.c.name, t.c.role, t.c.created_at, t.c.created_by, t.c.revoked_at)
                                .order_by(t.c.name))
            return [dict(r._mapping) for r in rows]

    def require(self, actor: Actor, needed: str, action: str, scope: dict | None = None) -> None:
        """Audit and raise unless `actor` may do `action`. Call before taking the writer lock."""
        if not actor.allows(needed):
            self._refuse(actor.name, actor.role, action, scope, f"role {actor.role} below {needed}")
            require(actor, needed, action)

    def _refuse(self, name: str, role: str, attempted: str, scope: dict | None, why: str) -> None:
        with db.write_tx(self.engine) as conn:
            append_in(conn, actor=name, role=role, action="refused", scope=scope or {}, before=None,
                      after={"attempted": attempted}, reason=why)

    @staticmethod
    def _insert(conn: sa.Connection, name: str, role: str, token: str, *, created_by: str) -> None:
        conn.execute(schema.actors.insert().values(name=name, role=role, token_sha256=token_digest(token),
                                                   created_at=iso(utcnow()), created_by=created_by))


def _check_name(name: str) -> None:
    if not isinstance(name, str) or not NAME_RE.match(name) or name.startswith("system:"):
        raise ConfigError(f"--name {name!r}: use 1-64 lower-case letters, digits, '.', '_', '@' or '-'")

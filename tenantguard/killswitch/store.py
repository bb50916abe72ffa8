"""The kill-switch store: engage and release switches; every change is audited in the same transaction.

One row per scope holds its current state; `ks_version` is bumped by every change so clients poll one
integer. A change, its version bump and its audit entry commit together or not at all.
"""
from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import Any, Iterable

import sqlalchemy as sa

from tenantguard.config import Settings
from tenantguard.errors import ScopeInvalid, SwitchNotFound
from tenantguard.killswitch import db, schema
from tenantguard.killswitch.audit import AuditEntry, AuditLog
from tenantguard.killswitch.auth import Actor, ActorRegistry
from tenantguard.killswitch.scope import FIELDS, Scope
from tenantguard.killswitch.switch import Fallback, FlipResult, Switch, iso, parse_iso, utcnow

log = logging.getLogger(__name__)
EXPIRY_ACTOR = Actor.system("expiry")
_W = schema.WILDCARD


class KillSwitchStore:
    """Switches in the database at `url` (see Settings.killswitch_url), with its audit log and actors."""

    def __init__(self, url: str | sa.Engine, *, key: bytes, anchor_path: str | Path | None = None) -> None:
        self.engine = url if isinstance(url, sa.Engine) else db.make_engine(url)
        self.audit = AuditLog(self.engine, key=key, anchor_path=anchor_path)  # creates the schema
        self.actors = ActorRegistry(self.audit)

    @classmethod
    def from_settings(cls, settings: Settings) -> "KillSwitchStore":
        """The store at Settings.killswitch_url, its chain keyed from the project secret and anchored in
        Settings.audit_anchor_path."""
        return cls(settings.killswitch_url, key=settings.audit_key(), anchor_path=settings.audit_anchor_path)

    # -- writes -------------------------------------------------------------------------------------
    def engage(self, scope: Scope | dict, *, actor: Actor, reason: str, fallback: Fallback | None = None,
               incident_id: str | None = None, expires_at: datetime | None = None, shadow: bool = False,
               run_id: str | None = None, allow_global: bool = False) -> FlipResult:
        """Engage (or re-configure) the switch for `scope`; a no-op when it is already so engaged."""
        return self.engage_many([scope], actor=actor, reason=reason, fallback=fallback, incident_id=incident_id,
                                expires_at=expires_at, shadow=shadow, run_id=run_id, allow_global=allow_global)[0]

    def engage_many(self, scopes: Iterable[Scope | dict], *, actor: Actor, reason: str,
                    fallback: Fallback | None = None, incident_id: str | None = None,
                    expires_at: datetime | None = None, shadow: bool = False, run_id: str | None = None,
                    allow_global: bool = False) -> list[FlipResult]:
        """Engage several scopes in one transaction (one audit entry each)."""
        scopes = [_scope(s) for s in scopes]
        _check_reason(reason)
        for s in scopes:
            if s.is_global and not allow_global:
                raise ScopeInvalid("scope names no feature, tenant or region, so it would kill every request; "
                                   "pass --all (allow_global=True) if that is really meant")
        if expires_at is not None and expires_at <= utcnow():
            raise ScopeInvalid(f"--expires {iso(expires_at)} is in the past; give a future time")
        fallback = fallback or Fallback()
        self.actors.authorize(actor, "engage", scopes[0].as_dict() if scopes else {})
        mode = "shadow" if shadow else "enforce"
        out: list[FlipResult] = []
        with self._tx() as conn:
            for s in scopes:
                before = self._row(conn, s)
                if before is not None and before.engaged and before.mode == "enforce" and shadow:
                    raise ScopeInvalid(f"switch {before.id} ({s}) is enforced; release it before a shadow drill")
                if (before is not None and before.engaged and before.mode == mode and before.fallback == fallback
                        and before.expires_at == expires_at):
                    out.append(FlipResult(before, changed=False))
                    continue
                values = dict(state="engaged", mode=mode, fallback=fallback.mode, fallback_message=fallback.message,
                              fallback_version=fallback.version, reason=reason, incident_id=incident_id,
                              actor=actor.name, updated_at=iso(utcnow()),
                              expires_at=iso(expires_at) if expires_at else None)
                out.append(self._write(conn, s, before, values, actor, "engage", reason, incident_id, run_id))
        return out

    def release(self, target: int | Scope | dict, *, actor: Actor, reason: str, incident_id: str | None = None,
                run_id: str | None = None, action: str = "release") -> FlipResult:
        """Release the switch with id or scope `target`; a no-op when it is already released."""
        _check_reason(reason)
        self.actors.authorize(actor, action, _scope(target).as_dict() if not isinstance(target, int) else {})
        with self._tx() as conn:
            before = self._find(conn, target)
            if not before.engaged:
                return FlipResult(before, changed=False)
            values = dict(state="released", reason=reason, incident_id=incident_id or before.incident_id,
                          actor=actor.name, updated_at=iso(utcnow()))
            return self._write(conn, before.scope, before, values, actor, action, reason,
                               incident_id or before.incident_id, run_id)

    def expire_due(self, *, actor: Actor = EXPIRY_ACTOR) -> list[FlipResult]:
        """Release every engaged switch whose expiry has passed (clients already ignore them)."""
        now = utcnow()
        due = [s for s in self.list() if s.expired(now)]
        return [self.release(s.id, actor=actor, reason=f"expired at {iso(s.expires_at)}", action="expire")
                for s in due]

    def record(self, *, actor: Actor, action: str, scope: dict, before: Any, after: Any, reason: str,
               incident_id: str | None = None, run_id: str | None = None) -> AuditEntry:
        """Authorize `action` for `actor` (POLICY) and chain it: every state change outside the switches
        (a promotion, a rollback, an acknowledgement, a drill's measurements) is written through here."""
        self.actors.authorize(actor, action, scope)
        return self.audit.append(actor=actor.name, role="system" if actor.is_system else actor.role, action=action,
                                 scope=scope, before=before, after=after, reason=reason, incident_id=incident_id,
                                 run_id=run_id or actor.run_id)

    # -- reads --------------------------------------------------------------------------------------
    def get(self, target: int | Scope | dict) -> Switch:
        with self.engine.connect() as conn:
            return self._find(conn, target)

    def list(self, *, state: str | None = "engaged") -> list[Switch]:
        """Switches ordered by id; `state=None` includes released ones."""
        t = schema.switches
        q = sa.select(t).order_by(t.c.id)
        if state is not None:
            q = q.where(t.c.state == state)
        with self.engine.connect() as conn:
            return [to_switch(r._mapping) for r in conn.execute(q)]

    def version(self) -> int:
        with self.engine.connect() as conn:
            return read_version(conn)

    # -- internals ----------------------------------------------------------------------------------
    def _tx(self):
        return self.audit.write_tx()

    def _row(self, conn: sa.Connection, scope: Scope) -> Switch | None:
        t = schema.switches
        row = conn.execute(sa.select(t).where(*(t.c[k] == (v or _W) for k, v in zip(FIELDS, scope.key)))).first()
        return to_switch(row._mapping) if row else None

    def _find(self, conn: sa.Connection, target: int | Scope | dict) -> Switch:
        if isinstance(target, int) and not isinstance(target, bool):
            row = conn.execute(sa.select(schema.switches).where(schema.switches.c.id == target)).first()
            if row is None:
                raise SwitchNotFound(f"--id {target}: no such switch (see `tenantguard killswitch list --all`)")
            return to_switch(row._mapping)
        scope = _scope(target)
        found = self._row(conn, scope)
        if found is None:
            raise SwitchNotFound(f"no switch for scope {scope} (see `tenantguard killswitch list --all`)")
        return found

    def _write(self, conn: sa.Connection, scope: Scope, before: Switch | None, values: dict, actor: Actor,
               action: str, reason: str, incident_id: str | None, run_id: str | None) -> FlipResult:
        t = schema.switches
        if before is None:
            conn.execute(t.insert().values(**{k: v or _W for k, v in zip(FIELDS, scope.key)}, **values))
        else:
            conn.execute(t.update().where(t.c.id == before.id).values(**values))
        after = self._row(conn, scope)
        conn.execute(schema.version.update().where(schema.version.c.id == 1)
                     .values(version=schema.version.c.version + 1))
        entry = self.audit.append_in(conn, actor=actor.name, role=actor.role, action=action, scope=scope.as_dict(),
                          before=before.audit_state() if before else None, after=after.audit_state(),
                          reason=reason, incident_id=incident_id, run_id=run_id or actor.run_id)
        log.info("kill switch %s %s by %s: %s", after.id, action, actor.name, scope)
        return FlipResult(after, changed=True, audit_seq=entry.seq)


def read_version(conn: sa.Connection) -> int:
    return int(conn.execute(sa.select(schema.version.c.version).where(schema.version.c.id == 1)).scalar_one())


def read_engaged(conn: sa.Connection) -> list[Switch]:
    t = schema.switches
    return [to_switch(r._mapping) for r in conn.execute(sa.select(t).where(t.c.state == "engaged"))]


def to_switch(m: Any) -> Switch:
    return Switch(
        id=int(m["id"]),
        scope=Scope(*(None if m[k] == _W else m[k] for k in FIELDS)),
        state=m["state"], mode=m["mode"],
        fallback=Fallback(m["fallback"], m["fallback_message"], m["fallback_version"]),
        reason=m["reason"], incident_id=m["incident_id"], actor=m["actor"],
        updated_at=parse_iso(m["updated_at"]), expires_at=parse_iso(m["expires_at"]))


def _scope(value: Scope | dict) -> Scope:
    if isinstance(value, Scope):
        return value
    if isinstance(value, dict):
        return Scope.from_dict(value)
    raise ScopeInvalid(f"scope: expected a Scope or a dict with feature/tenant/region/api_key, got {type(value).__name__}")


def _check_reason(reason: str) -> None:
    if not isinstance(reason, str) or not reason.strip():
        raise ScopeInvalid("--reason is required: say why (it goes to the audit log)")

"""Refused attempts, audited without letting anyone flood the log.

Per source (an actor's name or a token's digest prefix) and window of WINDOW_SECONDS, the chain gets one
`refused` entry at the first refusal and, if more followed, one `refused.count` entry with the total when
the window has closed (written by the next refusal of any source, or `audit verify`). Beyond MAX_SOURCES
distinct sources in one window (someone rotating random tokens), further sources share the source
`many-sources`, so the chain grows by at most 2 * (MAX_SOURCES + 1) entries a window whatever the rate.
"""
from __future__ import annotations

import time
from typing import TYPE_CHECKING

import sqlalchemy as sa

from tenantguard.killswitch import schema

if TYPE_CHECKING:
    from tenantguard.killswitch.audit import AuditLog

WINDOW_SECONDS = 600
MAX_SOURCES = 20
MANY = "many-sources"


def record_refusal(conn: sa.Connection, audit: "AuditLog", *, fingerprint: str, role: str, attempted: str,
                   scope: dict | None, why: str, now: float | None = None) -> None:
    """Count one refusal inside a write transaction; chain it if it is its source's first in this window."""
    t = schema.refusals
    window = int((time.time() if now is None else now) // WINDOW_SECONDS) * WINDOW_SECONDS
    close_windows(conn, audit, before=window)
    source = fingerprint[:128]
    row = conn.execute(sa.select(t.c.count).where(t.c.source == source, t.c.window_start == window)).first()
    if row is None:
        n_sources = conn.execute(sa.select(sa.func.count()).select_from(t).where(t.c.window_start == window)).scalar()
        if n_sources >= MAX_SOURCES:
            source = MANY
            row = conn.execute(sa.select(t.c.count).where(t.c.source == source, t.c.window_start == window)).first()
    if row is not None:
        conn.execute(t.update().where(t.c.source == source, t.c.window_start == window)
                     .values(count=t.c.count + 1))
        return
    conn.execute(t.insert().values(source=source, window_start=window, count=1, attempted=attempted[:64],
                                   reason=why, closed=False))
    audit.append_in(conn, actor=source, role=role if source != MANY else "none", action="refused",
                    scope=scope or {}, before=None,
                    after={"attempted": attempted, "window_start": window, "window_seconds": WINDOW_SECONDS},
                    reason=why)


def close_windows(conn: sa.Connection, audit: "AuditLog", *, before: int) -> int:
    """Chain the totals of windows that ended before `before` (only those with more than one refusal)."""
    t = schema.refusals
    rows = conn.execute(sa.select(t).where(t.c.closed.is_(False), t.c.window_start < before)
                        .order_by(t.c.window_start, t.c.source)).all()
    for r in rows:
        if r.count > 1:
            audit.append_in(conn, actor=r.source, role="none", action="refused.count", scope={}, before=None,
                            after={"attempted": r.attempted, "window_start": int(r.window_start),
                                   "window_seconds": WINDOW_SECONDS, "count": int(r.count)},
                            reason=f"{r.count} refusals in this window (first: {r.reason})")
    if rows:
        conn.execute(t.update().where(t.c.closed.is_(False), t.c.window_start < before).values(closed=True))
    return len(rows)

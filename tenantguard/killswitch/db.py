"""Engines and serialized write transactions for SQLite and PostgreSQL.

Every write (switch flip, audit append, actor change) runs in `write_tx`, which takes one database-wide
writer lock first: `BEGIN IMMEDIATE` on SQLite, a row lock on the audit head on PostgreSQL. Writers
are rare (humans and sensors), so one lock buys a linear audit chain at no practical cost.
"""
from __future__ import annotations

import contextlib
import logging
import sqlite3
from pathlib import Path
from typing import Iterator

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.pool import NullPool

from tenantguard.config import sql_url
from tenantguard.errors import StoreUnavailable
from tenantguard.killswitch import schema

log = logging.getLogger(__name__)
_BUSY_TIMEOUT_MS = 30_000
_PG_INIT_LOCK = 0x7467_6B73  # "tgks": serializes schema creation across processes


def is_sqlite(engine: sa.Engine) -> bool:
    return engine.dialect.name == "sqlite"


def make_engine(url: str, *, read_only: bool = False) -> sa.Engine:
    """An engine for `url`. `read_only` SQLite engines never create a missing file (clients use them)."""
    url = sql_url(url, "kill-switch URL", StoreUnavailable)
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return sa.create_engine(url, pool_pre_ping=True, pool_size=2, max_overflow=4,
                                connect_args={"connect_timeout": 3} if parsed.get_backend_name() == "postgresql" else {})
    path = parsed.database
    if not path or path == ":memory:":
        raise StoreUnavailable("kill-switch URL: use a SQLite file, not :memory: (clients in other processes "
                               "must see the same switches)")
    if read_only:
        uri = f"file:{Path(path).expanduser()}?mode=rw"
        engine = sa.create_engine("sqlite://", poolclass=NullPool,
                                  creator=lambda: sqlite3.connect(uri, uri=True, timeout=_BUSY_TIMEOUT_MS / 1000,
                                                                  check_same_thread=False))
    else:
        Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, poolclass=NullPool, connect_args={"timeout": _BUSY_TIMEOUT_MS / 1000})
    _sqlite_events(engine)
    return engine


def _sqlite_events(engine: sa.Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn, _record) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves, so writers can ask for IMMEDIATE
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA journal_mode=WAL")  # readers (clients) never block the writer
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn) -> None:
        immediate = conn.get_execution_options().get("tg_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@contextlib.contextmanager
def write_tx(engine: sa.Engine) -> Iterator[sa.Connection]:
    """A transaction holding the database-wide writer lock."""
    with engine.connect() as conn:
        if is_sqlite(engine):
            conn = conn.execution_options(tg_write=True)
        with conn.begin():
            if not is_sqlite(engine):
                conn.execute(sa.select(schema.audit_head.c.seq).where(schema.audit_head.c.id == 1).with_for_update())
            yield conn


def ensure_schema(engine: sa.Engine) -> None:
    """Create the tables, triggers and singleton rows if missing; safe to race across processes."""
    try:
        if is_sqlite(engine):
            with engine.connect() as conn:
                conn = conn.execution_options(tg_write=True)
                with conn.begin():
                    _create(conn, schema.SQLITE_TRIGGERS)
        else:
            with engine.begin() as conn:
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_INIT_LOCK})
                _create(conn, schema.POSTGRES_TRIGGERS)
    except sa.exc.OperationalError as exc:
        raise StoreUnavailable(f"kill-switch database {engine.url.render_as_string(hide_password=True)} "
                               f"is unreachable: {str(exc.orig).strip().splitlines()[0]}") from None


def _create(conn: sa.Connection, triggers: tuple[str, ...]) -> None:
    _add_api_key_column(conn)
    schema.metadata.create_all(conn)
    if conn.dialect.name == "postgresql" and conn.exec_driver_sql(
            "SELECT 1 FROM pg_trigger WHERE tgname = 'ks_audit_no_change' "
            "AND tgrelid = to_regclass('ks_audit')").first():
        triggers = ()  # re-creating them would lock ks_audit against writers for nothing
    for ddl in triggers:
        conn.exec_driver_sql(ddl)
    if conn.execute(sa.select(schema.version.c.id)).first() is None:
        conn.execute(schema.version.insert().values(id=1, version=0))
    if conn.execute(sa.select(schema.audit_head.c.id)).first() is None:
        conn.execute(schema.audit_head.insert().values(id=1, seq=0, hash=schema.GENESIS))


def _add_api_key_column(conn: sa.Connection) -> None:
    """Stores made before key scopes: add `api_key` ('*' for every existing switch) and widen the unique scope.
    SQLite cannot alter a table constraint, so the table is rebuilt inside this (write-locked) transaction."""
    insp = sa.inspect(conn)
    if not insp.has_table("ks_switches") or "api_key" in {c["name"] for c in insp.get_columns("ks_switches")}:
        return
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("ALTER TABLE ks_switches ADD COLUMN api_key VARCHAR(256) NOT NULL DEFAULT '*'")
        conn.exec_driver_sql("ALTER TABLE ks_switches DROP CONSTRAINT ks_switches_scope")
        conn.exec_driver_sql("ALTER TABLE ks_switches ADD CONSTRAINT ks_switches_scope "
                             "UNIQUE (feature, tenant, region, api_key)")
        return
    old = [c["name"] for c in insp.get_columns("ks_switches")]
    conn.exec_driver_sql("DROP INDEX IF EXISTS ks_switches_state")
    conn.exec_driver_sql("ALTER TABLE ks_switches RENAME TO ks_switches_before_api_key")
    schema.switches.create(conn)
    cols = ", ".join(old)
    conn.exec_driver_sql(f"INSERT INTO ks_switches ({cols}) SELECT {cols} FROM ks_switches_before_api_key")
    conn.exec_driver_sql("DROP TABLE ks_switches_before_api_key")
    log.warning("kill-switch store: added the api_key scope field to %d existing switch(es)",
                conn.exec_driver_sql("SELECT count(*) FROM ks_switches").scalar_one())


def unavailable(engine: sa.Engine, exc: Exception) -> StoreUnavailable:
    """A one-line StoreUnavailable for a driver error."""
    orig = getattr(exc, "orig", exc)
    first = (str(orig).strip().splitlines() or [type(orig).__name__])[0]
    return StoreUnavailable(f"kill-switch database {engine.url.render_as_string(hide_password=True)}: {first}")

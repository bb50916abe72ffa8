"""Engines and the serialized write transaction, on a SQLite file and on a real PostgreSQL schema."""
import importlib.util
import sqlite3
import threading
import time

import pytest
import sqlalchemy as sa

from tenantguard.errors import StoreUnavailable
from tenantguard.killswitch import db, schema

from .conftest import AUDIT_KEY


def engine_with_schema(url):
    engine = db.make_engine(url)
    db.ensure_schema(engine)
    return engine


def test_a_sqlite_store_creates_its_directory_and_runs_in_wal_mode(tmp_path):
    url = f"sqlite:///{tmp_path / 'nested' / 'dir' / 'ks.db'}"
    engine = engine_with_schema(url)
    assert (tmp_path / "nested" / "dir" / "ks.db").exists() and db.is_sqlite(engine)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000


def test_a_read_only_engine_never_creates_a_missing_store(tmp_path):
    path = tmp_path / "ks.db"
    engine = db.make_engine(f"sqlite:///{path}", read_only=True)
    with pytest.raises(sa.exc.OperationalError), engine.connect():
        pass
    assert not path.exists()


def test_a_read_only_engine_reads_what_the_writer_wrote(sqlite_url):
    engine_with_schema(sqlite_url)
    reader = db.make_engine(sqlite_url, read_only=True)
    with reader.connect() as conn:
        assert conn.execute(sa.select(schema.version.c.version)).scalar_one() == 0


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_an_in_memory_store_is_refused_because_clients_could_not_see_it(url):
    with pytest.raises(StoreUnavailable, match="use a SQLite file, not :memory:"):
        db.make_engine(url)


def test_a_malformed_url_is_named_with_examples():
    with pytest.raises(StoreUnavailable, match=r"kill-switch URL 'ks\.db' is not a SQLAlchemy URL \(e\.g\. sqlite:"):
        db.make_engine("ks.db")


def test_an_unknown_database_is_named_with_examples():
    with pytest.raises(StoreUnavailable, match=r"^kill-switch URL 'bogus://' names no database SQLAlchemy knows "
                                               r"\('bogus'\); e\.g\. sqlite:"):
        db.make_engine("bogus://")


@pytest.mark.skipif(importlib.util.find_spec("psycopg") is not None, reason="psycopg (3) is installed here")
def test_a_plain_postgresql_url_gets_the_installed_psycopg2_and_a_missing_driver_names_its_package():
    assert db.make_engine("postgresql://tg@127.0.0.1:1/ks").dialect.driver == "psycopg2"  # connects lazily
    with pytest.raises(StoreUnavailable, match=r"driver is not installed \(no module 'psycopg'\); pip install"):
        db.make_engine("postgresql+psycopg://tg:hunter2@127.0.0.1:1/ks")


def test_ensure_schema_creates_the_singletons_once_and_is_safe_to_repeat(db_url):
    engine = engine_with_schema(db_url)
    db.ensure_schema(engine)
    with engine.connect() as conn:
        assert conn.execute(sa.select(schema.version.c.id, schema.version.c.version)).all() == [(1, 0)]
        assert conn.execute(sa.select(schema.audit_head.c.seq, schema.audit_head.c.hash)).all() == [
            (0, schema.GENESIS)]


def test_ensure_schema_racing_in_threads_leaves_one_set_of_singletons(db_url):
    errors = []

    def create():
        try:
            db.ensure_schema(db.make_engine(db_url))
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=create) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with db.make_engine(db_url).connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(schema.version)).scalar_one() == 1


def test_a_write_transaction_holds_the_one_writer_lock_until_it_ends(db_url):
    engine = engine_with_schema(db_url)
    order = []

    def second_writer():
        with db.write_tx(db.make_engine(db_url)) as conn:
            order.append("second")
            conn.execute(schema.version.update().values(version=schema.version.c.version + 1))

    with db.write_tx(engine) as conn:
        conn.execute(schema.version.update().values(version=schema.version.c.version + 1))
        other = threading.Thread(target=second_writer)
        other.start()
        time.sleep(0.5)  # long enough for the second writer to reach its lock
        order.append("first")
    other.join(timeout=30)
    assert order == ["first", "second"]
    with engine.connect() as conn:
        assert conn.execute(sa.select(schema.version.c.version)).scalar_one() == 2


def test_a_sqlite_write_transaction_locks_out_writers_outside_tenantguard(sqlite_url):
    engine = engine_with_schema(sqlite_url)
    path = sa.engine.make_url(sqlite_url).database
    with db.write_tx(engine):
        raw = sqlite3.connect(path, timeout=0.1, isolation_level=None)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            raw.execute("BEGIN IMMEDIATE")
        raw.close()


def test_a_failed_write_transaction_changes_nothing(db_url):
    engine = engine_with_schema(db_url)
    with pytest.raises(RuntimeError), db.write_tx(engine) as conn:
        conn.execute(schema.version.update().values(version=41))
        raise RuntimeError("crash mid-write")
    with engine.connect() as conn:
        assert conn.execute(sa.select(schema.version.c.version)).scalar_one() == 0


def test_driver_errors_become_one_line_naming_the_database_without_its_password():
    engine = sa.create_engine("postgresql+psycopg2://tg:hunter2@db.internal/ks")
    exc = sa.exc.OperationalError("SELECT 1", {}, Exception("connection refused\n\tIs the server running?"))
    err = db.unavailable(engine, exc)
    assert isinstance(err, StoreUnavailable)
    assert str(err) == "kill-switch database postgresql+psycopg2://tg:***@db.internal/ks: connection refused"


def test_an_unreachable_database_is_one_line_without_its_password():
    engine = db.make_engine("postgresql+psycopg2://tg:hunter2@127.0.0.1:1/ks")
    with pytest.raises(StoreUnavailable) as info:
        db.ensure_schema(engine)
    assert "\n" not in str(info.value) and "hunter2" not in str(info.value) and "is unreachable" in str(info.value)


def test_a_store_made_before_key_scopes_gains_the_api_key_field_and_keeps_its_switches(db_url):
    from tenantguard.killswitch.auth import Actor
    from tenantguard.killswitch.scope import Scope
    from tenantguard.killswitch.store import KillSwitchStore

    old = sa.MetaData()
    cols = [c.copy() for c in schema.switches.columns if c.name != "api_key"]
    sa.Table("ks_switches", old, *cols, sa.UniqueConstraint("feature", "tenant", "region", name="ks_switches_scope"),
             sa.Index("ks_switches_state", "state"))
    engine = db.make_engine(db_url)
    with engine.begin() as conn:
        old.create_all(conn)
        conn.execute(old.tables["ks_switches"].insert().values(
            feature="chat", tenant="acme", region="*", state="engaged", mode="enforce", fallback="disable",
            reason="before the upgrade", actor="someone", updated_at="2026-01-01T00:00:00+00:00"))
    st = KillSwitchStore(db_url, key=AUDIT_KEY)
    kept = st.get(Scope(feature="chat", tenant="acme"))
    assert kept.engaged and kept.reason == "before the upgrade" and kept.scope.api_key is None
    a = st.engage(Scope(feature="chat", tenant="acme", api_key="k1"), actor=Actor.system("t"), reason="r").switch
    b = st.engage(Scope(feature="chat", tenant="acme", api_key="k2"), actor=Actor.system("t"), reason="r").switch
    assert len({kept.id, a.id, b.id}) == 3 and len(st.list()) == 3
    KillSwitchStore(db_url, key=AUDIT_KEY)  # a second open finds the column and changes nothing
    assert len(st.list()) == 3

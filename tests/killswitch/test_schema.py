"""The kill-switch tables hold their invariants in the database itself: one switch per scope, one audit entry
per predecessor (no fork), on a SQLite file and on a real PostgreSQL schema."""
import pytest
import sqlalchemy as sa

from tenantguard.killswitch import db, schema


@pytest.fixture
def engine(db_url):
    engine = db.make_engine(db_url)
    db.ensure_schema(engine)
    return engine


def switch(**over):
    return {"feature": "support-assistant", "tenant": "acme", "region": schema.WILDCARD, "state": "engaged",
            "mode": "enforce", "fallback": "disable", "reason": "leak", "actor": "alice",
            "updated_at": "2026-05-01T10:00:00+00:00", **over}


def entry(seq, prev_hash, digest):
    return {"seq": seq, "ts": "2026-05-01T10:00:00+00:00", "actor": "alice", "role": "responder", "action": "engage",
            "scope": "{}", "before": "null", "after": "null", "reason": "r", "prev_hash": prev_hash, "hash": digest}


def test_the_tables_are_the_documented_ones():
    assert set(schema.metadata.tables) == {"ks_switches", "ks_version", "ks_actors", "ks_audit", "ks_audit_head",
                                            "ks_refusals"}
    assert schema.GENESIS == "0" * 64 and schema.WILDCARD == "*"


def test_one_row_per_scope_and_wildcards_count_as_values(engine):
    with engine.begin() as conn:
        conn.execute(schema.switches.insert().values(**switch()))
        conn.execute(schema.switches.insert().values(**switch(region="eu-west")))  # another scope
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        conn.execute(schema.switches.insert().values(**switch(state="released")))
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(schema.switches)).scalar_one() == 2


def test_two_audit_entries_can_never_claim_the_same_predecessor(engine):
    with engine.begin() as conn:
        conn.execute(schema.audit.insert().values(**entry(1, schema.GENESIS, "a" * 64)))
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        conn.execute(schema.audit.insert().values(**entry(2, schema.GENESIS, "b" * 64)))


def test_an_actors_token_hash_is_unique(engine):
    row = {"role": "responder", "token_sha256": "c" * 64, "created_at": "2026-05-01", "created_by": "admin"}
    with engine.begin() as conn:
        conn.execute(schema.actors.insert().values(name="alice", **row))
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        conn.execute(schema.actors.insert().values(name="bob", **row))


def test_truncating_the_audit_log_is_refused_on_postgres(pg_url):
    engine = db.make_engine(pg_url)
    db.ensure_schema(engine)
    with pytest.raises(sa.exc.DatabaseError, match="append-only"), engine.begin() as conn:
        conn.exec_driver_sql("TRUNCATE ks_audit")

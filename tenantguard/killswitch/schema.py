"""Tables of the kill-switch database: switches, a version counter, actors and the audit chain."""
from __future__ import annotations

import sqlalchemy as sa

GENESIS = "0" * 64

metadata = sa.MetaData()

# One row per scope: its current state. History lives in the audit log, not here.
switches = sa.Table(
    "ks_switches", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    # '*' rather than NULL for "all" so the unique constraint below holds for wildcards too.
    sa.Column("feature", sa.String(64), nullable=False),
    sa.Column("tenant", sa.String(64), nullable=False),
    sa.Column("region", sa.String(64), nullable=False),
    sa.Column("api_key", sa.String(256), nullable=False, server_default="*"),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("mode", sa.String(16), nullable=False),
    sa.Column("fallback", sa.String(32), nullable=False),
    sa.Column("fallback_message", sa.Text),
    sa.Column("fallback_version", sa.String(64)),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("incident_id", sa.String(128)),
    sa.Column("actor", sa.String(128), nullable=False),
    sa.Column("updated_at", sa.String(40), nullable=False),
    sa.Column("expires_at", sa.String(40)),
    sa.UniqueConstraint("feature", "tenant", "region", "api_key", name="ks_switches_scope"),
    sa.Index("ks_switches_state", "state"),
)

# A single row bumped by every switch change: clients poll it instead of re-reading the switches.
version = sa.Table(
    "ks_version", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("version", sa.BigInteger, nullable=False),
)

actors = sa.Table(
    "ks_actors", metadata,
    sa.Column("name", sa.String(128), primary_key=True),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("token_sha256", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("created_by", sa.String(128), nullable=False),
    sa.Column("revoked_at", sa.String(40)),
)

# seq is assigned under a lock as head+1; unique prev_hash makes a fork impossible even if a writer
# bypassed the lock: two entries can never claim the same predecessor.
audit = sa.Table(
    "ks_audit", metadata,
    sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("ts", sa.String(40), nullable=False),
    sa.Column("actor", sa.String(128), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("scope", sa.Text, nullable=False),
    sa.Column("before", sa.Text, nullable=False),
    sa.Column("after", sa.Text, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("incident_id", sa.String(128)),
    sa.Column("run_id", sa.String(64)),
    sa.Column("prev_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("hash", sa.String(64), nullable=False, unique=True),
)

# The head as the writers last left it: a truncated tail no longer matches it.
audit_head = sa.Table(
    "ks_audit_head", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
)

# Refused attempts per source (actor name or token fingerprint) and window: the chain gets one entry when a
# source is first refused in a window and one with the count when the window closes, not one per attempt.
refusals = sa.Table(
    "ks_refusals", metadata,
    sa.Column("source", sa.String(128), primary_key=True),
    sa.Column("window_start", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("count", sa.BigInteger, nullable=False),
    sa.Column("attempted", sa.String(64), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("closed", sa.Boolean, nullable=False, default=False),
    sa.Index("ks_refusals_open", "closed", "window_start"),
)

WILDCARD = "*"

# Defense in depth: the database itself refuses to rewrite the log. A DBA can drop these triggers,
# which is why `verify` recomputes the chain rather than trusting them.
SQLITE_TRIGGERS = (
    "CREATE TRIGGER IF NOT EXISTS ks_audit_no_update BEFORE UPDATE ON ks_audit "
    "BEGIN SELECT RAISE(ABORT, 'ks_audit is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS ks_audit_no_delete BEFORE DELETE ON ks_audit "
    "BEGIN SELECT RAISE(ABORT, 'ks_audit is append-only'); END",
)
POSTGRES_TRIGGERS = (
    "CREATE OR REPLACE FUNCTION ks_audit_append_only() RETURNS trigger AS $$ "
    "BEGIN RAISE EXCEPTION 'ks_audit is append-only'; END $$ LANGUAGE plpgsql",
    "CREATE OR REPLACE TRIGGER ks_audit_no_change BEFORE UPDATE OR DELETE ON ks_audit "
    "FOR EACH ROW EXECUTE FUNCTION ks_audit_append_only()",
    "CREATE OR REPLACE TRIGGER ks_audit_no_truncate BEFORE TRUNCATE ON ks_audit "
    "FOR EACH STATEMENT EXECUTE FUNCTION ks_audit_append_only()",
)

"""The hash-chained audit log: appends, verification, tampering, export, concurrency."""
from __future__ import annotations

import json
import threading

import pytest
import sqlalchemy as sa

from tenantguard.errors import AuditChainBroken, ConfigError
from tenantguard.killswitch.audit import (AuditLog, entry_from_row, entry_hash, merge_anchors, parse_anchor,
                                         read_export, verify_entries)

from .conftest import AUDIT_KEY


def _fill(log: AuditLog, n: int) -> None:
    for i in range(n):
        log.append(actor="alice", role="responder", action="engage" if i % 2 == 0 else "release",
                   scope={"tenant": f"t{i % 3}"}, before={"state": "released"}, after={"state": "engaged", "i": i},
                   reason=f"reason {i}", incident_id="INC-1" if i == 2 else None, run_id=None)


def _tamper(log: AuditLog, *sql: str) -> None:
    """What an attacker with DDL rights does: drop the append-only guard, then rewrite rows."""
    with log.engine.begin() as conn:
        if log.engine.dialect.name == "sqlite":
            conn.exec_driver_sql("DROP TRIGGER ks_audit_no_update")
            conn.exec_driver_sql("DROP TRIGGER ks_audit_no_delete")
        else:
            conn.exec_driver_sql("DROP TRIGGER ks_audit_no_change ON ks_audit")
            conn.exec_driver_sql("DROP TRIGGER ks_audit_no_truncate ON ks_audit")
        for stmt in sql:
            conn.exec_driver_sql(stmt)


def test_append_chains_entries_and_verify_passes(db_url):
    log = AuditLog(db_url, key=AUDIT_KEY)
    _fill(log, 5)
    entries = list(log.entries())
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5]
    assert entries[0].prev_hash == "0" * 64
    assert all(b.prev_hash == a.hash for a, b in zip(entries, entries[1:]))
    assert entries[2].incident_id == "INC-1" and entries[2].after == {"state": "engaged", "i": 2}
    result = log.verify()
    assert result.ok and result.n_entries == 5
    assert (result.head_seq, result.head_hash) == (5, entries[-1].hash) == log.head()


def test_empty_log_verifies(sqlite_url):
    result = AuditLog(sqlite_url, key=AUDIT_KEY).verify()
    assert result.ok and result.n_entries == 0 and result.head_seq == 0


def test_append_rejects_missing_actor_and_unserializable_state(sqlite_url):
    log = AuditLog(sqlite_url, key=AUDIT_KEY)
    with pytest.raises(ConfigError, match="'actor'"):
        log.append(actor="", role="admin", action="promote", scope={}, before=None, after=None, reason="x")
    with pytest.raises(ConfigError, match="JSON-serializable"):
        log.append(actor="a", role="admin", action="promote", scope={}, before=object(), after=None, reason="x")
    assert log.verify().n_entries == 0


def test_database_refuses_update_and_delete_of_entries(db_url):
    log = AuditLog(db_url, key=AUDIT_KEY)
    _fill(log, 2)
    for stmt in ("UPDATE ks_audit SET reason = 'x'", "DELETE FROM ks_audit"):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"):
            with log.engine.begin() as conn:
                conn.exec_driver_sql(stmt)
    assert log.verify().ok


@pytest.mark.parametrize("attack, first_broken, why", [
    ("UPDATE ks_audit SET reason = 'nothing to see' WHERE seq = 3", 3, "edited"),
    ("UPDATE ks_audit SET after = '{\"state\":\"released\"}' WHERE seq = 4", 4, "edited"),
    ("DELETE FROM ks_audit WHERE seq = 3", 3, "missing"),
    ("DELETE FROM ks_audit WHERE seq >= 5", 5, "truncated"),
])
def test_verify_names_first_broken_entry(db_url, attack, first_broken, why):
    log = AuditLog(db_url, key=AUDIT_KEY)
    _fill(log, 6)
    _tamper(log, attack)
    result = log.verify()
    assert not result.ok
    assert result.first_broken == first_broken
    assert why in result.why


def test_verify_detects_reordered_entries(db_url):
    log = AuditLog(db_url, key=AUDIT_KEY)
    _fill(log, 5)
    # Swap the contents of entries 2 and 3 by swapping their sequence numbers.
    _tamper(log, "UPDATE ks_audit SET seq = 1000 WHERE seq = 2", "UPDATE ks_audit SET seq = 2 WHERE seq = 3",
            "UPDATE ks_audit SET seq = 3 WHERE seq = 1000")
    result = log.verify()
    assert not result.ok and result.first_broken == 2


def test_verify_detects_forged_entry_with_recomputed_own_hash(db_url):
    """A forger who appends a row and fixes the head but cannot chain it to the real predecessor."""
    log = AuditLog(db_url, key=AUDIT_KEY)
    _fill(log, 3)
    forged = {"ts": "2026-01-01T00:00:00.000000+00:00", "actor": "mallory", "role": "admin", "action": "release",
              "scope": {}, "before": None, "after": None, "reason": "forged", "incident_id": None, "run_id": None}
    from tenantguard.killswitch.audit import entry_hash
    fake_prev = "f" * 64
    digest = entry_hash(AUDIT_KEY, 4, fake_prev, forged)
    _tamper(log, "INSERT INTO ks_audit (seq, ts, actor, role, action, scope, before, after, reason, prev_hash, hash) "
                 f"VALUES (4, '{forged['ts']}', 'mallory', 'admin', 'release', '{{}}', 'null', 'null', 'forged', "
                 f"'{fake_prev}', '{digest}')",
            f"UPDATE ks_audit_head SET seq = 4, hash = '{digest}'")
    result = log.verify()
    assert not result.ok and result.first_broken == 4 and "does not chain" in result.why


def test_rewritten_tail_with_fixed_head_is_caught_by_an_exported_anchor(sqlite_url, tmp_path):
    """Whoever rewrites the whole tail consistently defeats the in-database head, not an outside anchor."""
    log = AuditLog(sqlite_url, key=AUDIT_KEY)
    _fill(log, 4)
    anchored = log.export(tmp_path / "audit.jsonl")
    anchor = (anchored.head_seq, anchored.head_hash)
    _tamper(log, "DELETE FROM ks_audit WHERE seq = 4", "UPDATE ks_audit_head SET seq = 3, "
            "hash = (SELECT hash FROM ks_audit WHERE seq = 3)")
    assert log.verify().ok  # internally consistent after a clean truncation plus head rewrite ...
    result = log.verify(anchors=merge_anchors(("the export", dict([anchor]))))  # ... not with the anchor outside
    assert not result.ok and result.first_broken == 4 and "the export records entry 4" in result.why


def test_export_round_trips_and_verifies_offline(db_url, tmp_path):
    log = AuditLog(db_url, key=AUDIT_KEY)
    _fill(log, 4)
    path = tmp_path / "out" / "audit.jsonl"
    result = log.export(path)
    assert result.ok and result.n_entries == 4
    lines = path.read_text().splitlines()
    assert len(lines) == 5 and json.loads(lines[-1])["head"] == {"seq": 4, "hash": result.head_hash}
    entries, head = read_export(path)
    assert verify_entries(entries, key=AUDIT_KEY, head=head).ok
    # Editing the exported file is detected too.
    doctored = json.loads(lines[1])
    doctored["actor"] = "mallory"
    path.write_text("\n".join([lines[0], json.dumps(doctored), *lines[2:]]) + "\n")
    entries, head = read_export(path)
    bad = verify_entries(entries, key=AUDIT_KEY, head=head)
    assert not bad.ok and bad.first_broken == 2


def test_read_export_rejects_garbage_with_line_number(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text('{"seq": 1}\n')
    with pytest.raises(AuditChainBroken, match="line 1"):
        read_export(path)


def test_parse_anchor_validates():
    assert parse_anchor("3:" + "A" * 64) == (3, "a" * 64)
    with pytest.raises(ConfigError, match="--anchor"):
        parse_anchor("3:abc")


def test_concurrent_writers_never_fork_the_chain(db_url):
    log = AuditLog(db_url, key=AUDIT_KEY)
    n_threads, per_thread = 8, 15
    errors: list[BaseException] = []

    def writer(w: int) -> None:
        mine = AuditLog(db_url, key=AUDIT_KEY)  # its own engine and connections, like a separate process
        try:
            for i in range(per_thread):
                mine.append(actor=f"w{w}", role="responder", action="engage", scope={"tenant": f"t{w}"},
                            before=None, after={"i": i}, reason="load")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            mine.engine.dispose()

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    result = log.verify()
    assert result.ok and result.n_entries == n_threads * per_thread
    per_writer = {}
    for e in log.entries():
        per_writer.setdefault(e.actor, []).append(e.after["i"])
    assert all(v == list(range(per_thread)) for v in per_writer.values()) and len(per_writer) == n_threads


# -- issue 15, finding 5: a rewrite by someone with database write access -------------------------------------

def _rewrite_from(log: AuditLog, seq: int, key: bytes, *, reason: str = "nothing happened") -> None:
    """Edit entry `seq`, then recompute every later hash and the head with `key`, as a forger would."""
    import sqlalchemy as sa

    from tenantguard.killswitch import schema

    with log.engine.connect() as conn:
        rows = [entry_from_row(r._mapping) for r in conn.execute(sa.select(schema.audit).order_by(schema.audit.c.seq))]
    stmts, prev = [], rows[seq - 2].hash if seq > 1 else "0" * 64
    for e in rows[seq - 1:]:
        fields = e._hashed_fields()
        if e.seq == seq:
            fields["reason"] = reason
        digest = entry_hash(key, e.seq, prev, fields)
        stmts.append(f"UPDATE ks_audit SET reason = '{fields['reason']}', prev_hash = '{prev}', hash = '{digest}' "
                     f"WHERE seq = {e.seq}")
        prev = digest
    stmts.append(f"UPDATE ks_audit_head SET hash = '{prev}'")
    # unique hashes: move every rewritten row aside first so no UPDATE collides with an old value
    _tamper(log, *[f"UPDATE ks_audit SET prev_hash = 'x{e.seq}', hash = 'y{e.seq}' WHERE seq = {e.seq}"
                   for e in rows[seq - 1:]], *stmts)


def test_an_edit_with_recomputed_later_hashes_is_named_at_the_edited_entry_without_the_key(sqlite_url):
    log = AuditLog(sqlite_url, key=AUDIT_KEY)
    _fill(log, 36)
    _rewrite_from(log, 10, b"the attacker does not hold the secret")
    result = log.verify()
    assert not result.ok and result.first_broken == 10 and "keyed hash" in result.why


def test_an_unkeyed_recomputation_like_the_old_chain_fails_too(sqlite_url):
    import hashlib

    log = AuditLog(sqlite_url, key=AUDIT_KEY)
    _fill(log, 12)
    _rewrite_from(log, 10, hashlib.sha256(b"").digest())
    assert log.verify().first_broken == 10


def test_an_insider_holding_the_key_is_caught_by_the_anchor_file_at_the_edited_entry(sqlite_url, tmp_path):
    anchors = tmp_path / "anchors.log"
    log = AuditLog(sqlite_url, key=AUDIT_KEY, anchor_path=anchors)
    _fill(log, 36)
    assert log.verify().ok and log.verify().n_anchors == 36
    _rewrite_from(log, 10, AUDIT_KEY)
    assert AuditLog(sqlite_url, key=AUDIT_KEY).verify().ok  # the database alone is consistent again ...
    result = log.verify()  # ... the anchors outside it are not
    assert not result.ok and result.first_broken == 10 and "anchor file" in result.why


def test_deleting_the_last_entry_and_fixing_the_head_is_caught_by_the_anchor_file(sqlite_url, tmp_path):
    log = AuditLog(sqlite_url, key=AUDIT_KEY, anchor_path=tmp_path / "anchors.log")
    _fill(log, 5)
    _tamper(log, "DELETE FROM ks_audit WHERE seq = 5",
            "UPDATE ks_audit_head SET seq = 4, hash = (SELECT hash FROM ks_audit WHERE seq = 4)")
    result = log.verify()
    assert not result.ok and result.first_broken == 5 and "records entry 5" in result.why


def test_an_edited_anchor_file_is_tampering(sqlite_url, tmp_path):
    path = tmp_path / "anchors.log"
    log = AuditLog(sqlite_url, key=AUDIT_KEY, anchor_path=path)
    _fill(log, 3)
    path.write_text(path.read_text().replace("2 ", "2 zz", 1))
    with pytest.raises(AuditChainBroken, match="line 2"):
        log.verify()
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_a_chain_read_with_another_secret_does_not_verify(sqlite_url):
    _fill(AuditLog(sqlite_url, key=AUDIT_KEY), 2)
    result = AuditLog(sqlite_url, key=b"another project secret's key...").verify()
    assert not result.ok and result.first_broken == 1


def test_export_of_a_broken_chain_prints_the_head_it_wrote(sqlite_url, tmp_path):
    log = AuditLog(sqlite_url, key=AUDIT_KEY)
    _fill(log, 36)
    _tamper(log, "UPDATE ks_audit SET reason = 'x' WHERE seq = 9")
    result = log.export(tmp_path / "audit.jsonl")
    entries, head = read_export(tmp_path / "audit.jsonl")
    assert not result.ok and result.first_broken == 9
    assert (result.head_seq, result.head_hash) == head == (36, entries[-1].hash) and result.n_entries == 36

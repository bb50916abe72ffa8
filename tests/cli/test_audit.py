"""`tenantguard audit verify|export|show`: the hash-chained audit log through click's CliRunner."""
from __future__ import annotations

import json
import re

from .helpers import ks_store, run


def test_audit_verify_ok_then_broken_exit_1(tokens, ks_home):
    run("killswitch", "engage", "--region", "eu-west", "--reason", "x", "--yes", token=tokens["responder"])
    r = run("audit", "verify")
    assert r.exit_code == 0 and re.search(r"audit chain ok: 4 entries, head 4:[0-9a-f]{64}", r.output)
    st = ks_store(ks_home)
    with st.engine.begin() as conn:
        conn.exec_driver_sql("DROP TRIGGER ks_audit_no_update")
        conn.exec_driver_sql("UPDATE ks_audit SET actor = 'someone-else' WHERE seq = 4")
    r = run("audit", "verify")
    assert r.exit_code == 1 and "BROKEN at entry 4" in r.output and "edited" in r.output


def test_audit_export_then_verify_file_and_anchor(tokens, ks_home, tmp_path):
    out = tmp_path / "audit.jsonl"
    r = run("audit", "export", "--out", str(out))
    assert r.exit_code == 0 and "wrote 3 entries" in r.output
    anchor = re.search(r"head (\d+:[0-9a-f]{64})", r.output).group(1)
    assert run("audit", "verify", "--file", str(out)).exit_code == 0
    assert run("audit", "verify", "--anchor", anchor).exit_code == 0
    r = run("audit", "verify", "--anchor", "9:" + "0" * 64)
    assert r.exit_code == 1 and "anchor" in r.output
    r = run("audit", "verify", "--anchor", "nonsense")
    assert r.exit_code == 2 and "--anchor 'nonsense'" in r.output
    r = run("audit", "verify", "--file", str(tmp_path / "nope.jsonl"))
    assert r.exit_code == 2 and "--file" in r.output
    out.write_text("\n".join(out.read_text().splitlines()[:-1]) + "\n")  # drop the head line
    r = run("audit", "verify", "--file", str(out))
    assert r.exit_code == 1 and "no head line" in r.output
    r = run("audit", "show", "--last", "2")
    assert r.exit_code == 0 and "actor.add" in r.output


def test_audit_show_prints_a_multi_line_reason_on_its_entrys_line_and_json_keeps_it_whole(ks_home):
    reason = "behavior FAILED for tenant acme:\n  [failed ] adversarial_refusal_drop: 1.000 -> 0.280\n" + "word " * 100
    ks_store(ks_home).audit.append(
        actor="dagster:behavior_report", role="system", action="reject", scope={"model": "m", "version": "2"},
        before="candidate", after="rejected", reason=reason)
    r = run("audit", "show")
    assert r.exit_code == 0
    (line,) = r.output.splitlines()
    assert line.split()[0] == "1" and "model=m version=2  behavior FAILED for tenant acme: [failed ] " \
                                      "adversarial_refusal_drop: 1.000 -> 0.280 word word" in line
    assert line.endswith("word …") and len(line.split("version=2  ", 1)[1]) <= 300
    (entry,) = [json.loads(x) for x in run("audit", "show", "--json").output.splitlines()]
    assert entry["reason"] == reason


def test_verify_names_the_first_entry_an_insider_rewrote_and_export_prints_the_head_it_wrote(tokens, ks_home, tmp_path):
    """Issue 15, finding 5: an edit of entry 2 with every later hash and the head recomputed (here with the key
    itself, as an insider holding the secret would) verified as ok; the anchors outside the database catch it."""
    from tenantguard.killswitch.audit import entry_from_row, entry_hash

    for i in range(3):
        run("killswitch", "engage", "--tenant", "acme", "--reason", f"r{i}", "--yes", token=tokens["responder"])
        run("killswitch", "release", "--tenant", "acme", "--reason", f"r{i}", "--yes", token=tokens["responder"])
    st = ks_store(ks_home)
    rows = [entry_from_row(r._mapping) for r in st.engine.connect().exec_driver_sql("SELECT * FROM ks_audit ORDER BY seq")]
    with st.engine.begin() as conn:
        conn.exec_driver_sql("DROP TRIGGER ks_audit_no_update")
        conn.exec_driver_sql("UPDATE ks_audit SET hash = 'x' || seq, prev_hash = 'y' || seq WHERE seq >= 2")
        prev = rows[0].hash
        for e in rows[1:]:
            fields = e._hashed_fields()
            if e.seq == 2:
                fields["after"] = {"name": "mallory", "role": "admin"}
            digest = entry_hash(st.audit.key, e.seq, prev, fields)
            conn.exec_driver_sql(f"UPDATE ks_audit SET after = ?, prev_hash = ?, hash = ? WHERE seq = ?",
                                 (json.dumps(fields["after"], sort_keys=True, separators=(",", ":")), prev, digest,
                                  e.seq))
            prev = digest
        conn.exec_driver_sql(f"UPDATE ks_audit_head SET hash = '{prev}'")
    r = run("audit", "verify")
    assert r.exit_code == 1 and "BROKEN at entry 2" in r.output and "anchor" in r.output
    r = run("audit", "export", "--out", str(tmp_path / "a.jsonl"))
    last = json.loads((tmp_path / "a.jsonl").read_text().splitlines()[-1])["head"]
    assert r.exit_code == 1 and f"head {last['seq']}:{last['hash']}" in r.output and last["seq"] == len(rows)


def test_deleting_the_last_entry_is_caught(tokens, ks_home):
    st = ks_store(ks_home)
    with st.engine.begin() as conn:
        conn.exec_driver_sql("DROP TRIGGER ks_audit_no_delete")
        conn.exec_driver_sql("DELETE FROM ks_audit WHERE seq = 3")
        conn.exec_driver_sql("UPDATE ks_audit_head SET seq = 2, hash = (SELECT hash FROM ks_audit WHERE seq = 2)")
    r = run("audit", "verify")
    assert r.exit_code == 1 and "BROKEN at entry 3" in r.output and "records entry 3" in r.output

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
    from tenantguard.killswitch.audit import AuditLog

    reason = "behavior FAILED for tenant acme:\n  [failed ] adversarial_refusal_drop: 1.000 -> 0.280\n" + "word " * 100
    AuditLog(f"sqlite:///{ks_home / 'killswitch.db'}").append(
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

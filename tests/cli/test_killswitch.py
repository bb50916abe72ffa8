"""`tenantguard killswitch ...` through click's CliRunner: output and exit codes."""
from __future__ import annotations

import json
import re

import pytest

from .helpers import ks_store, run


def test_engage_status_list_release_round_trip(tokens, ks_home):
    r = run("killswitch", "engage", "--tenant", "acme", "--feature", "support-assistant", "--reason", "canary leak",
            "--incident", "INC-9", "--fallback", "safe_response", "--message", "Unavailable", "--yes",
            token=tokens["responder"])
    assert r.exit_code == 0, r.output
    assert "engaged switch 1 (feature=support-assistant tenant=acme region=*)" in r.output
    r = run("killswitch", "status", "--tenant", "acme", "--feature", "support-assistant", "--region", "eu-west",
            token=tokens["viewer"])
    assert r.exit_code == 0 and "KILLED by switch 1 (fallback safe_response)" in r.output
    r = run("killswitch", "status", "--tenant", "globex", "--feature", "search", "--json", token=tokens["viewer"])
    assert json.loads(r.output)["decision"]["killed"] is False
    r = run("killswitch", "list", "--json", token=tokens["viewer"])
    [row] = json.loads(r.output)
    assert row["tenant"] == "acme" and row["incident_id"] == "INC-9" and row["actor"] == "rita"
    r = run("killswitch", "engage", "--tenant", "acme", "--feature", "support-assistant", "--reason", "again",
            "--fallback", "safe_response", "--message", "Unavailable", "--yes", token=tokens["responder"])
    assert r.exit_code == 0 and "nothing changed" in r.output
    r = run("killswitch", "release", "--id", "1", "--reason", "fixed", "--yes", token=tokens["responder"])
    assert r.exit_code == 0 and "released switch 1" in r.output
    r = run("killswitch", "list", token=tokens["viewer"])
    assert "(no switches)" in r.output
    r = run("killswitch", "list", "--all", token=tokens["viewer"])
    assert re.search(r"acme\s+\*\s+released", r.output)
    actions = [e.action for e in ks_store(ks_home).audit.entries()]
    assert actions[-2:] == ["engage", "release"]


@pytest.mark.parametrize("args, needle", [
    (["--tenant", "Acme"], "scope field 'tenant'"),
    (["--tenant", "initech"], "--tenant 'initech' is not in tenants.yaml"),
    (["--feature", "chat"], "--feature 'chat' is not offered"),
    (["--region", "ap-south"], "--region 'ap-south'"),
    ([], "give at least one of --feature, --tenant, --region"),
    (["--tenant", "acme", "--all"], "--all kills every request"),
    (["--tenant", "acme", "--expires", "tomorrow"], "--expires 'tomorrow'"),
    (["--tenant", "acme", "--expires", "2020-01-01T00:00:00Z"], "in the past"),
    (["--tenant", "acme", "--fallback", "safe_response"], "needs --message"),
])
def test_bad_input_is_one_line_exit_2(tokens, args, needle):
    r = run("killswitch", "engage", *args, "--reason", "x", "--yes", token=tokens["responder"])
    assert r.exit_code == 2, r.output
    assert needle in r.output and "Traceback" not in r.output
    assert len(r.output.strip().splitlines()) == 1


def test_missing_reason_and_missing_yes_are_exit_2(tokens, ks_home):
    r = run("killswitch", "engage", "--tenant", "acme", "--yes", token=tokens["responder"])
    assert r.exit_code == 2 and "--reason is required" in r.output
    r = run("killswitch", "engage", "--tenant", "acme", "--reason", "x", token=tokens["responder"])
    assert r.exit_code == 2 and "pass --yes" in r.output
    assert ks_store(ks_home).list() == []


def test_unknown_and_underprivileged_tokens_are_refused_and_audited(tokens, ks_home):
    r = run("killswitch", "engage", "--tenant", "acme", "--reason", "x", "--yes", token="tgk_not-a-real-token")
    assert r.exit_code == 2 and "token is unknown" in r.output
    r = run("killswitch", "engage", "--tenant", "acme", "--reason", "x", "--yes", token=tokens["viewer"])
    assert r.exit_code == 2 and "has role 'viewer'; engage needs responder" in r.output
    r = run("killswitch", "engage", "--tenant", "acme", "--reason", "x", "--yes")
    assert r.exit_code == 2 and "TENANTGUARD_TOKEN" in r.output
    st = ks_store(ks_home)
    assert st.list() == []
    refused = [e for e in st.audit.entries() if e.action == "refused"]
    assert [e.reason for e in refused] == ["unknown token", "role viewer below responder", "no token given"]
    assert all(e.scope.get("tenant") == "acme" for e in refused)


def test_engage_dry_run_reports_would_be_hits_and_changes_nothing(tokens, ks_home):
    from tenantguard.monitoring.inference_log import InferenceLog

    r = run("killswitch", "engage", "--tenant", "acme", "--dry-run", token=tokens["viewer"])
    assert r.exit_code == 0 and "no inference log" in r.output
    InferenceLog(f"sqlite:///{ks_home / 'inference.db'}").append(
        [{"ts": "2026-01-01T00:00:00Z", "tenant_id": t, "feature": "support-assistant", "region": "eu-west"}
         for t in ("acme", "globex", "acme")])
    r = run("killswitch", "engage", "--tenant", "acme", "--dry-run", token=tokens["viewer"])
    assert r.exit_code == 0 and "would have hit 2 of the last 3 requests" in r.output and "acme=2" in r.output
    assert ks_store(ks_home).list() == [] and ks_store(ks_home).version() == 0


def test_release_needs_a_target(tokens):
    r = run("killswitch", "release", "--reason", "x", "--yes", token=tokens["responder"])
    assert r.exit_code == 2 and "--id or at least one" in r.output
    r = run("killswitch", "release", "--id", "7", "--reason", "x", "--yes", token=tokens["responder"])
    assert r.exit_code == 2 and "--id 7: no such switch" in r.output


def test_drill_command_runs_and_audits(tokens, ks_home):
    r = run("killswitch", "drill", "--clients", "1", "--poll", "0.02", "--yes", token=tokens["responder"])
    assert r.exit_code == 0, r.output
    assert re.search(r"drill \(synthetic, feature=tg-drill tenant=tg-drill region=tg-drill, switch \d+\): 1 clients",
                     r.output)
    assert [e.action for e in ks_store(ks_home).audit.entries()][-1] == "drill"
    r = run("killswitch", "drill", "--tenant", "acme", "--yes", token=tokens["responder"])
    assert r.exit_code == 2 and "add --shadow" in r.output

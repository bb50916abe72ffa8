"""`tenantguard rollback` on a real SQLite MLflow registry and the real audit log: dry run, confirmation (on a
terminal; elsewhere --yes, as the kill-switch commands), the re-point, nothing to do, and one-line errors
(2 bad input, 1 nothing safe to roll back to)."""
import os
import pty
import subprocess
import sys
from pathlib import Path

import mlflow
import pytest

from tenantguard.config import Settings
from tenantguard.killswitch.audit import AuditLog
from tenantguard.registry import tags as T
from tenantguard.tenants import Tenant, dump_tenants

from .helpers import assert_bad_input, assert_usage_error, bootstrap_tokens, promote_twice, run

NAME = "support-assistant.acme"
TENANTGUARD = Path(sys.executable).with_name("tenantguard")


@pytest.fixture
def promoted(tg_home, monkeypatch):
    """acme's versions 1 and 2, both passed and promoted in turn: 2 is champion, 1 the rollback target; the
    environment holds a responder's token."""
    s = Settings.from_env()
    s.ensure_home()
    dump_tenants([Tenant("acme", "Acme", "eu-west", ("support-assistant",), "p")], s.tenants_file)
    reg = promote_twice(s, NAME)
    tokens = bootstrap_tokens(s.home)
    monkeypatch.setenv("TENANTGUARD_TOKEN", tokens["responder"])
    monkeypatch.setattr(sys.modules[__name__], "TOKENS", tokens, raising=False)
    yield s, reg
    mlflow.set_tracking_uri(None)


def test_dry_run_names_the_move_and_changes_nothing(promoted):
    _, reg = promoted
    result = run("rollback", "--tenant", "acme", "--reason", "deviation", "--dry-run", "--no-preview")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"{NAME}: champion 2 -> 1 (dry run)"
    assert reg.alias_version(NAME, "champion") == "2"


def test_without_a_terminal_it_insists_on_yes_and_yes_rolls_back_audited_as_the_tokens_actor(promoted):
    s, reg = promoted
    assert_bad_input(run("rollback", "--tenant", "acme", "--reason", "deviation", "--no-preview"),
                     "roll back acme's champion (deviation): pass --yes to confirm (no terminal to ask on)")
    assert reg.alias_version(NAME, "champion") == "2"
    done = run("rollback", "--tenant", "acme", "--reason", "deviation", "--no-preview", "--yes")
    assert done.exit_code == 0 and done.stdout.strip() == f"{NAME}: champion 2 -> 1 (rolled back)"
    assert reg.alias_version(NAME, "champion") == "1"
    entry = [e for e in AuditLog.from_settings(s).entries() if e.action == "rollback"][-1]
    assert (entry.actor, entry.role, entry.reason) == ("rita", "responder", "deviation")


@pytest.mark.slow
def test_on_a_terminal_it_asks_and_answering_no_changes_nothing(promoted):
    _, reg = promoted
    master, slave = pty.openpty()  # a real terminal on stdin, as a responder at a shell has
    proc = subprocess.Popen([str(TENANTGUARD), "rollback", "--tenant", "acme", "--reason", "deviation",
                             "--no-preview"], stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    os.close(slave)
    os.write(master, b"n\n")
    try:
        out, err = proc.communicate(timeout=60)
    finally:
        os.close(master)
    assert proc.returncode == 1 and "roll back acme's champion (deviation). Continue? [y/N]" in out
    assert err.strip() == "Aborted!"
    assert reg.alias_version(NAME, "champion") == "2"


@pytest.mark.parametrize("to", ["abc", "0"])
def test_a_target_that_is_not_a_version_number_exits_2_naming_to(promoted, to):
    assert_usage_error(run("rollback", "--tenant", "acme", "--reason", "x", "--to", to, "--yes"),
                       "Invalid value for '--to'")


def test_a_target_that_does_not_exist_exits_2_naming_to_and_the_versions(promoted):
    _, reg = promoted
    assert_bad_input(run("rollback", "--tenant", "acme", "--reason", "x", "--to", "99", "--yes", "--no-preview"),
                     f"--to 99: {NAME}: version 99 does not exist (versions: 1, 2)")
    assert reg.alias_version(NAME, "champion") == "2"


@pytest.mark.parametrize("dry_run", [[], ["--dry-run"]])
def test_rolling_back_to_the_champion_itself_says_there_is_nothing_to_do(promoted, dry_run):
    s, reg = promoted
    result = run("rollback", "--tenant", "acme", "--reason", "x", "--to", "2", "--yes", *dry_run)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"{NAME}: champion stays 2 (already champion: nothing to do)"  # and no preview
    assert reg.alias_version(NAME, "champion") == "2"
    assert reg.client.get_model_version(NAME, "2").tags[T.TAG_STATUS] == "promoted"
    assert [e for e in AuditLog.from_settings(s).entries() if e.action == "rollback"] == []


def test_unknown_tenant_exits_2_and_no_target_left_exits_1_with_one_line(promoted):
    assert_bad_input(run("rollback", "--tenant", "nobody", "--reason", "x", "--yes"), "'nobody'", "acme")
    run("rollback", "--tenant", "acme", "--reason", "first", "--no-preview", "--yes")
    result = run("rollback", "--tenant", "acme", "--reason", "second", "--no-preview", "--yes")
    assert result.exit_code == 1 and result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"error: {NAME}: no earlier version") and "kill switch" in result.stderr


# -- issue 15, finding 2: a rollback needs a token; serving a rolled-back version again needs an admin's override --

def test_a_rollback_without_a_token_is_refused_and_the_refusal_audited(promoted, monkeypatch):
    s, reg = promoted
    monkeypatch.delenv("TENANTGUARD_TOKEN")
    assert_bad_input(run("rollback", "--tenant", "acme", "--reason", "x", "--to", "1", "--yes", "--no-preview"),
                     "rollback needs a token")
    assert reg.alias_version(NAME, "champion") == "2"
    refused = [e for e in AuditLog.from_settings(s).entries() if e.action == "refused"]
    assert refused[-1].actor == "anonymous" and refused[-1].after["attempted"] == "rollback"


def test_a_viewer_may_not_roll_back(promoted):
    _, reg = promoted
    assert_bad_input(run("rollback", "--tenant", "acme", "--reason", "x", "--yes", "--no-preview",
                         token=TOKENS["viewer"]), "'vic'", "rollback needs responder")
    assert reg.alias_version(NAME, "champion") == "2"


def test_re_promoting_a_rolled_back_version_needs_an_admin_and_an_override_reason(promoted):
    s, reg = promoted
    assert run("rollback", "--tenant", "acme", "--reason", "deviation", "--yes", "--no-preview").exit_code == 0
    assert reg.client.get_model_version(NAME, "2").tags[T.TAG_STATUS] == "rolled_back"
    # the attack of the finding: `rollback --to 2` serves the rolled-back version again
    assert_bad_input(run("rollback", "--tenant", "acme", "--reason", "x", "--to", "2", "--yes", "--no-preview"),
                     "v2 is rolled_back (deviation)", "--override-reason")
    assert_bad_input(run("rollback", "--tenant", "acme", "--reason", "x", "--to", "2", "--yes", "--no-preview",
                         "--override-reason", "fixed upstream"), "'rita'", "override needs admin")
    assert reg.alias_version(NAME, "champion") == "1"
    done = run("rollback", "--tenant", "acme", "--reason", "x", "--to", "2", "--yes", "--no-preview",
               "--override-reason", "the deviation was a monitoring bug", token=TOKENS["admin"])
    assert done.exit_code == 0, done.output
    assert reg.alias_version(NAME, "champion") == "2"
    assert "the deviation was a monitoring bug (by ada" in reg.client.get_model_version(NAME, "2").tags[T.TAG_OVERRIDE]
    [override] = [e for e in AuditLog.from_settings(s).entries() if e.action == "override"]
    assert (override.actor, override.role, override.reason) == ("ada", "admin", "the deviation was a monitoring bug")
    assert override.scope == {"model": NAME, "version": "2"} and AuditLog.from_settings(s).verify().ok

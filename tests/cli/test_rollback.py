"""`tenantguard rollback` on a real SQLite MLflow registry and the real audit log: dry run, confirmation,
the re-point, and one-line errors (2 bad input, 1 nothing safe to roll back to)."""
import mlflow
import pytest

from tenantguard.config import Settings
from tenantguard.killswitch.audit import AuditLog
from tenantguard.models.ngram_tuner import log_ngram_model, train_base
from tenantguard.registry import client as R
from tenantguard.registry import tags as T
from tenantguard.registry.promotion import audit_to_log, promote
from tenantguard.tenants import Tenant, dump_tenants

from .helpers import assert_bad_input, run

NAME = "support-assistant.acme"


@pytest.fixture
def promoted(tg_home):
    """acme's versions 1 and 2, both passed and promoted in turn: 2 is champion, 1 the rollback target."""
    s = Settings.from_env()
    s.ensure_home()
    dump_tenants([Tenant("acme", "Acme", "eu-west", ("support-assistant",), "p")], s.tenants_file)
    reg = R.Registry(s.mlflow_tracking_uri, s.artifact_root)
    with mlflow.start_run(experiment_id=reg.experiment_id("tenantguard/acme")) as r:
        info = log_ngram_model(train_base(["hello\nworld"]))
    tags = {T.TAG_TENANT: "acme", T.TAG_FEATURE: "support-assistant", T.TAG_ISOLATION: "passed",
            T.TAG_BEHAVIOR: "passed"}
    for _ in range(2):
        v = str(reg.register(NAME, info.model_uri, r.info.run_id, tags).version)
        promote(reg, NAME, v, audit_to_log(s, actor="test"))
    yield s, reg
    mlflow.set_tracking_uri(None)


def test_dry_run_names_the_move_and_changes_nothing(promoted):
    _, reg = promoted
    result = run("rollback", "--tenant", "acme", "--reason", "deviation", "--dry-run", "--no-preview")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"{NAME}: champion 2 -> 1 (dry run)"
    assert reg.alias_version(NAME, "champion") == "2"


def test_answering_no_changes_nothing_and_yes_rolls_back_audited_as_the_cli(promoted):
    s, reg = promoted
    refused = run("rollback", "--tenant", "acme", "--reason", "deviation", "--no-preview", input="n\n")
    assert refused.exit_code == 1 and "Roll back acme's champion (deviation)?" in refused.output
    assert reg.alias_version(NAME, "champion") == "2"
    done = run("rollback", "--tenant", "acme", "--reason", "deviation", "--no-preview", "--yes")
    assert done.exit_code == 0 and done.stdout.strip() == f"{NAME}: champion 2 -> 1 (rolled back)"
    assert reg.alias_version(NAME, "champion") == "1"
    entry = [e for e in AuditLog(s.killswitch_url).entries() if e.action == "rollback"][-1]
    assert (entry.actor, entry.reason) == ("cli", "deviation")


def test_unknown_tenant_exits_2_and_no_target_left_exits_1_with_one_line(promoted):
    assert_bad_input(run("rollback", "--tenant", "nobody", "--reason", "x", "--yes"), "'nobody'", "acme")
    run("rollback", "--tenant", "acme", "--reason", "first", "--no-preview", "--yes")
    result = run("rollback", "--tenant", "acme", "--reason", "second", "--no-preview", "--yes")
    assert result.exit_code == 1 and result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"error: {NAME}: no earlier version") and "kill switch" in result.stderr

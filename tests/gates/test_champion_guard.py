"""Issue 15, finding 10: `@champion` set from the MLflow UI (any user with EDIT) onto a version that did not pass
its gates is noticed, moved back (or the tenant's kill switch engaged), tagged, described and chained; on a real
SQLite MLflow registry and the real audit chain."""
import mlflow
import pytest

from tenantguard.config import Settings
from tenantguard.gates.champion_guard import guard_champions, is_gated
from tenantguard.killswitch.audit import AuditLog
from tenantguard.killswitch.store import KillSwitchStore
from tenantguard.models.ngram_tuner import log_ngram_model, train_base
from tenantguard.registry import client as R
from tenantguard.registry import tags as T
from tenantguard.registry.promotion import audit_to_log, promote, reject

NAME = "support-assistant.acme"
TAGS = {T.TAG_TENANT: "acme", T.TAG_FEATURE: "support-assistant"}
PASSED = {T.TAG_ISOLATION: "passed", T.TAG_BEHAVIOR: "passed"}


@pytest.fixture
def world(tg_home):
    s = Settings.from_env()
    s.ensure_home()
    reg = R.Registry(s.mlflow_tracking_uri, s.artifact_root)
    with mlflow.start_run(experiment_id=reg.experiment_id("tenantguard/acme")) as run:
        info = log_ngram_model(train_base(["hello\nworld"]))

    def register(**tags):
        return str(reg.register(NAME, info.model_uri, run.info.run_id, {**TAGS, **tags}).version)

    yield s, reg, register
    mlflow.set_tracking_uri(None)


def ui_sets_champion(reg, version):
    """What the MLflow UI's alias editor does for anyone with EDIT on the model."""
    reg.client.set_registered_model_alias(NAME, "champion", version)


def test_a_champion_moved_onto_a_rejected_version_is_moved_back_tagged_described_and_chained(world):
    s, reg, register = world
    v1 = register(**PASSED)
    promote(reg, NAME, v1, audit_to_log(s, actor="test"), run_id="run-1")
    v2 = register(**{T.TAG_ISOLATION: "failed", T.TAG_BEHAVIOR: "passed"})
    reject(reg, NAME, v2, "isolation failed: canary of globex", audit_to_log(s, actor="test"), run_id="run-2")
    ui_sets_champion(reg, v2)
    [action] = guard_champions(s, reg)
    assert (action.intruder, action.restored) == (v2, v1) and reg.alias_version(NAME, "champion") == v1
    mv = reg.client.get_model_version(NAME, v2)
    assert "outside tenantguard" in mv.tags[T.TAG_GUARD] and "status rejected" in mv.tags[T.TAG_GUARD]
    assert "**Champion guard:** @champion was set to v2 outside tenantguard" in mv.description
    log = AuditLog.from_settings(s)
    [entry] = [e for e in log.entries() if e.action == "champion.restore"]
    assert (entry.actor, entry.before, entry.after) == ("system:registry_watch", v2, v1) and log.verify().ok
    assert guard_champions(s, reg) == []  # the next tick finds the gate's champion


def test_with_no_gated_version_to_return_to_the_tenants_kill_switch_is_engaged_once(world):
    s, reg, register = world
    v1 = register(**{T.TAG_BEHAVIOR: "failed"})
    ui_sets_champion(reg, v1)
    [action] = guard_champions(s, reg)
    assert action.restored is None and "engaged" in action.note
    [switch] = KillSwitchStore.from_settings(s).list()
    assert (switch.scope.tenant, switch.scope.feature, switch.fallback.mode) == ("acme", "support-assistant", "disable")
    again = guard_champions(s, reg)
    assert len(again) == 1 and "already" in again[0].note
    assert [e.action for e in AuditLog.from_settings(s).entries()].count("champion.restore") == 1


def test_a_champion_on_a_version_that_passed_its_gates_is_left_alone(world):
    s, reg, register = world
    v1 = register(**PASSED)
    promote(reg, NAME, v1, audit_to_log(s, actor="test"))
    v2 = register(**PASSED)  # a promotion in flight has already moved the alias but not yet tagged the version
    ui_sets_champion(reg, v2)
    assert guard_champions(s, reg) == [] and reg.alias_version(NAME, "champion") == v2


@pytest.mark.parametrize("tags, gated", [
    ({**TAGS, **PASSED}, True), ({**TAGS, T.TAG_ISOLATION: "passed"}, False),
    ({**TAGS, **PASSED, T.TAG_STATUS: "rolled_back"}, False),
    ({**TAGS, **PASSED, T.TAG_STATUS: "rolled_back", T.TAG_OVERRIDE: "admin said so"}, True),
    ({T.TAG_TENANT: "base", T.TAG_FEATURE: "f", T.TAG_STATUS: "promoted"}, True),
    ({T.TAG_TENANT: "base", T.TAG_FEATURE: "f", T.TAG_STATUS: "rejected"}, False)])
def test_which_versions_may_serve(tags, gated):
    assert is_gated(tags) is gated

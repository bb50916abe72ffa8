"""Promotion and rollback under faults, through the real Dagster jobs on a real SQLite MLflow store.

Faults are real: the store's address pointing at a closed loopback port, SQLite triggers that make the
registry refuse writes mid-promotion, and a process SIGKILLed between re-pointing the alias and tagging.
"""
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time

import mlflow
import pytest
from conftest import use_home, write_small_world
from dagster import AssetKey, instance_for_test

from tenantguard.killswitch.audit import AuditLog
from tenantguard.models.ngram_tuner import log_ngram_model, train_base
from tenantguard.pipelines.definitions import defs
from tenantguard.registry import client as R
from tenantguard.registry import tags as T
from tenantguard.registry.promotion import audit_to_log, promote
from tenantguard.registry.tags import TAG_LAST_ROLLBACK, TAG_PROMOTED_AT
from tenantguard.sensors.tenant_sync import sync_partitions

pytestmark = pytest.mark.slow
FEATURE = "support-assistant"
PASSED = {T.TAG_ISOLATION: "passed", T.TAG_BEHAVIOR: "passed"}


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """A home whose first tenant has four registered versions of one model, none promoted yet."""
    home = tmp_path_factory.mktemp("faults-template") / "home"
    with pytest.MonkeyPatch.context() as mp:
        s = use_home(mp, home, secret="faults-secret")
        world = write_small_world(s)
        tid = world.tenants[0].id
        reg = R.Registry(s.mlflow_tracking_uri, s.artifact_root)
        with mlflow.start_run(experiment_id=reg.experiment_id(f"tenantguard/{tid}")) as run:
            info = log_ngram_model(train_base(["hello\nworld", "how can I help?\nhere is your answer"]))
        tags = {T.TAG_TENANT: tid, T.TAG_FEATURE: FEATURE, T.TAG_STATUS: "candidate"}
        for _ in range(4):
            reg.register(T.model_name(FEATURE, tid), info.model_uri, run.info.run_id, tags)
        mlflow.set_tracking_uri(None)
    return home, [t.id for t in world.tenants]


class Home:
    def __init__(self, settings, instance, tenant):
        self.settings, self.instance, self.tenant = settings, instance, tenant
        self.name = T.model_name(FEATURE, tenant)
        self.reg = R.Registry(settings.mlflow_tracking_uri, settings.artifact_root)
        self.db = settings.mlflow_tracking_uri[len("sqlite:///"):]

    def passed_candidate(self, version):
        self.reg.tag_version(self.name, version, PASSED)
        self.reg.point_alias(self.name, "candidate", version)

    def promote_run(self):
        return defs.resolve_job_def("tune_and_gate").execute_in_process(
            instance=self.instance, partition_key=self.tenant, asset_selection=[AssetKey("champion_model")],
            raise_on_error=False)

    def rollback_run(self, reason):
        config = {"tenant": self.tenant, "reason": reason, "preview": False}
        return defs.resolve_job_def("rollback").execute_in_process(
            instance=self.instance, run_config={"ops": {"rollback_op": {"config": config}}}, raise_on_error=False)

    def champion(self):
        return self.reg.alias_version(self.name, "champion")

    def tags(self, version):
        return self.reg.client.get_model_version(self.name, version).tags

    def audit(self, action):
        return list(AuditLog.from_settings(self.settings).entries(action=action))

    def refuse_writes(self, *tables):
        """SQLite triggers: the registry store refuses every write to `tables` until `allow_writes`."""
        with sqlite3.connect(self.db) as conn:
            for t in tables:
                for op in ("INSERT", "UPDATE"):
                    conn.execute(f"CREATE TRIGGER fault_{t}_{op.lower()} BEFORE {op} ON {t} "
                                 f"BEGIN SELECT RAISE(ABORT, 'injected fault: store unavailable'); END")

    def allow_writes(self):
        with sqlite3.connect(self.db) as conn:
            for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type='trigger' AND name LIKE 'fault_%'"):
                conn.execute(f"DROP TRIGGER {name}")

    def killed_mid_write(self, *args):
        """Run promote/rollback in a child process that SIGKILLs itself at its first version-tag write."""
        env = {**os.environ, "TENANTGUARD_HOME": str(self.settings.home)}
        proc = subprocess.run([sys.executable, "-c", _KILLED_SCRIPT, *args], env=env, capture_output=True,
                              text=True, timeout=180)
        assert proc.returncode == -9, proc.stderr[-2000:]


_KILLED_SCRIPT = """
import os, signal, sys
from tenantguard.config import Settings
from tenantguard.registry import client as R
R.Registry.tag_version = lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)  # dies between alias and tags
mode, s = sys.argv[1], Settings.from_env()
if mode == "promote":
    from tenantguard.registry.promotion import audit_to_log, promote
    promote(R.Registry(s.mlflow_tracking_uri, s.artifact_root), sys.argv[2], sys.argv[3], audit_to_log(s, actor="t"))
else:
    from tenantguard.gates.rollback import run_rollback
    run_rollback(s, actor="test", tenant_id=sys.argv[2], reason=sys.argv[3], preview=False)
"""


@pytest.fixture
def home(template, tmp_path, monkeypatch):
    src, ids = template
    dst = tmp_path / "home"
    shutil.copytree(src, dst)
    s = use_home(monkeypatch, dst, secret="faults-secret")
    with instance_for_test(temp_dir=str(s.dagster_home)) as instance:
        sync_partitions(instance, ids)
        h = Home(s, instance, ids[0])
        h.passed_candidate("1")
        assert h.promote_run().success and h.champion() == "1"
        yield h


def _step_error(result) -> str:
    return next(e for e in result.all_events if e.is_step_failure).step_failure_data.error.message


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_store_fails_the_promotion_run_fast_and_a_retry_promotes(home, monkeypatch):
    home.passed_candidate("2")
    with monkeypatch.context() as mp:
        mp.setenv("MLFLOW_TRACKING_URI", f"http://127.0.0.1:{_closed_port()}")
        t0 = time.monotonic()
        result = home.promote_run()
        assert not result.success and time.monotonic() - t0 < 30
        assert "is unreachable" in _step_error(result)
    assert home.champion() == "1"
    assert home.tags("2")[T.TAG_STATUS] == "candidate" and len(home.audit("promote")) == 1
    retry = home.promote_run()
    assert retry.success and home.champion() == "2"
    assert home.tags("2")[T.TAG_STATUS] == "promoted" and home.tags("2")["tenantguard.dagster_run_id"] == retry.run_id
    assert len(home.audit("promote")) == 2 and AuditLog.from_settings(home.settings).verify().ok


def test_store_refusing_writes_mid_promotion_fails_the_run_with_champion_unchanged_and_a_retry_promotes(home):
    home.passed_candidate("2")
    home.refuse_writes("registered_model_aliases")  # reads work: the reachability check and the gates pass
    result = home.promote_run()
    assert not result.success
    assert "injected fault" in _step_error(result)
    assert result.asset_materializations_for_node("champion_model") == []
    assert home.champion() == "1"
    assert home.tags("2")[T.TAG_STATUS] == "candidate" and TAG_PROMOTED_AT not in home.tags("2")
    assert len(home.audit("promote")) == 1
    home.allow_writes()
    assert home.promote_run().success and home.champion() == "2"
    assert home.tags("2")["tenantguard.previous_champion"] == "1"
    assert AuditLog.from_settings(home.settings).verify().ok


def test_tag_writes_failing_after_the_alias_moved_are_repaired_by_the_next_run(home):
    home.passed_candidate("2")
    home.refuse_writes("model_version_tags")
    assert not home.promote_run().success
    home.allow_writes()
    result = home.promote_run()
    assert result.success and home.champion() == "2"
    (mat,) = result.asset_materializations_for_node("champion_model")
    assert mat.metadata["note"].value in ("promoted", "repaired tags")
    assert home.tags("2")[T.TAG_STATUS] == "promoted" and home.tags("2")[TAG_PROMOTED_AT]
    assert len(home.audit("promote")) == 2


def test_a_promotion_killed_between_re_pointing_and_tagging_is_repaired_by_the_next_run(home):
    home.passed_candidate("2")
    home.killed_mid_write("promote", home.name, "2")
    assert home.champion() == "2" and TAG_PROMOTED_AT not in home.tags("2")  # what the kill left behind
    assert len(home.audit("promote")) == 1
    result = home.promote_run()
    assert result.success
    (mat,) = result.asset_materializations_for_node("champion_model")
    assert mat.metadata["note"].value == "repaired tags"
    tags = home.tags("2")
    assert tags[T.TAG_STATUS] == "promoted" and tags[TAG_PROMOTED_AT] and tags["tenantguard.dagster_run_id"]
    assert [e.after for e in home.audit("promote")] == ["1", "2"]
    assert home.promote_run().success and len(home.audit("promote")) == 2  # nothing left to do
    assert AuditLog.from_settings(home.settings).verify().ok


def test_a_rollback_killed_between_re_pointing_and_tagging_is_finished_not_repeated_by_the_retry(home):
    audit = audit_to_log(home.settings, actor="test")
    for v in ("2", "3"):
        home.reg.tag_version(home.name, v, PASSED)
        promote(home.reg, home.name, v, audit)
    reason = "production deviation of v3"
    home.killed_mid_write("rollback", home.tenant, reason)
    assert home.champion() == "2" and home.tags("3")[T.TAG_STATUS] == "promoted"  # alias moved, no tags
    assert home.audit("rollback") == []
    result = home.rollback_run(reason)  # the sensor's at-least-once retry of the same request
    assert result.success
    assert home.champion() == "2"  # not rolled back a second step to v1
    assert home.tags("3")[T.TAG_STATUS] == "rolled_back" and home.tags("2")["tenantguard.restored_from"] == "3"
    (entry,) = home.audit("rollback")
    assert (entry.before, entry.after, entry.reason) == ("3", "2", reason)
    last = json.loads(home.reg.client.get_registered_model(home.name).tags[TAG_LAST_ROLLBACK])
    assert (last["from"], last["to"], last["state"]) == ("3", "2", "done")
    assert home.rollback_run(reason).success and home.champion() == "2" and len(home.audit("rollback")) == 1


def test_store_refusing_writes_mid_rollback_fails_the_run_and_a_retry_rolls_back_once(home):
    home.reg.tag_version(home.name, "2", PASSED)
    promote(home.reg, home.name, "2", audit_to_log(home.settings, actor="test"))
    home.refuse_writes("registered_model_aliases")
    assert not home.rollback_run("deviation").success
    assert home.champion() == "2" and home.audit("rollback") == []
    home.allow_writes()
    assert home.rollback_run("deviation").success and home.champion() == "1"
    assert home.tags("2")[T.TAG_STATUS] == "rolled_back" and len(home.audit("rollback")) == 1


def test_rollback_after_a_champion_moved_by_hand_never_goes_forward_to_a_later_promotion(home):
    """Promotions in the same second are still ordered: v3 was promoted after v2, so it is no rollback target."""
    audit = audit_to_log(home.settings, actor="test")
    for v in ("2", "3"):
        home.reg.tag_version(home.name, v, PASSED)
        promote(home.reg, home.name, v, audit)
    home.reg.client.set_registered_model_alias(home.name, "champion", "2")  # a human, in the MLflow UI
    assert home.rollback_run("v2 deviates").success
    assert home.champion() == "1"

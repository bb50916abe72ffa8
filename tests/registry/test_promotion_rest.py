"""Promotion and rollback through MLflow's REST client, against a real `mlflow server` started on loopback."""
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import mlflow
import pytest
from conftest import write_small_world
from mlflow.exceptions import MlflowException

from tenantguard.config import Settings
from tenantguard.errors import MlflowUnavailable
from tenantguard.gates.rollback import run_rollback
from tenantguard.killswitch.audit import AuditLog
from tenantguard.models.ngram_tuner import log_ngram_model, train_base
from tenantguard.registry import client as R
from tenantguard.registry import tags as T
from tenantguard.registry.promotion import PromotionRefused, audit_to_log, promote
from tenantguard.registry.tags import TAG_LAST_ROLLBACK, TAG_PREVIOUS

pytestmark = pytest.mark.slow
FEATURE = "support-assistant"
MLFLOW = str(Path(sys.executable).with_name("mlflow"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`mlflow server` on 127.0.0.1 with a SQLite backend and proxied artifacts under `root`."""

    def __init__(self, root: Path):
        self.root, self.port = root, _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = None

    def start(self, timeout: float = 120.0) -> None:
        cmd = [MLFLOW, "server", "--backend-store-uri", f"sqlite:///{self.root / 'mlflow.db'}",
               "--artifacts-destination", str(self.root / "artifacts"), "--host", "127.0.0.1",
               "--port", str(self.port), "--workers", "1"]
        self.log = (self.root / "server.log").open("ab")
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"mlflow server exited {self.proc.returncode}: "
                                   f"{(self.root / 'server.log').read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"mlflow server did not answer {self.url}/health within {timeout}s")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)  # the server's own process group (workers included)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None
        self.log.close()


@pytest.fixture(scope="module")
def rest(tmp_path_factory):
    root = tmp_path_factory.mktemp("mlflow-server")
    server = Server(root)
    server.start()
    home = root / "home"
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("TENANTGUARD_HOME", str(home))
            mp.setenv("TENANTGUARD_SECRET", "rest-secret-479c40d6bb9cb41d9000e582ca97d9b18d79cf5ba26a5d37bd7792c732332acc")
            mp.setenv("MLFLOW_TRACKING_URI", server.url)
            for var in ("TENANTGUARD_TENANTS", "TENANTGUARD_DATASETS", "TENANTGUARD_KILLSWITCH_URL",
                        "TENANTGUARD_INFERENCE_LOG_URL"):
                mp.delenv(var, raising=False)
            settings = Settings.from_env()
            assert settings.mlflow_tracking_uri == server.url
            world = write_small_world(settings)
            tenant = world.tenants[0].id
            reg = R.Registry(settings.mlflow_tracking_uri, settings.artifact_root)
            name = T.model_name(FEATURE, tenant)
            with mlflow.start_run(experiment_id=reg.experiment_id(f"tenantguard/{tenant}")) as run:
                info = log_ngram_model(train_base(["hello\nworld", "how can I help?\nhere is your answer"]))
            tags = {T.TAG_TENANT: tenant, T.TAG_FEATURE: FEATURE, T.TAG_STATUS: "candidate"}
            versions = [str(reg.register(name, info.model_uri, run.info.run_id, tags).version) for _ in range(4)]
            yield server, settings, reg, tenant, name, versions
    finally:
        mlflow.set_tracking_uri(None)
        server.stop()


def _passed(reg, name, version):
    reg.tag_version(name, version, {T.TAG_ISOLATION: "passed", T.TAG_BEHAVIOR: "passed"})


def test_the_store_is_the_rest_server(rest):
    server, settings, reg, _, name, versions = rest
    assert reg.client._registry_uri == server.url and reg.client.tracking_uri == server.url
    assert [str(v.version) for v in reg.versions(name)] == versions
    assert not (settings.home / "mlflow.db").exists()  # nothing fell back to the embedded SQLite store


def test_promotion_and_rejection_over_rest(rest):
    _, settings, reg, _, name, (v1, v2, v3, _) = rest
    audit = audit_to_log(settings, actor="test")
    for v in (v1, v2):
        _passed(reg, name, v)
        promote(reg, name, v, audit, run_id=f"run-{v}")
    assert reg.alias_version(name, "champion") == v2
    tags = reg.client.get_model_version(name, v2).tags
    assert tags[T.TAG_STATUS] == "promoted" and tags[TAG_PREVIOUS] == v1 and tags["tenantguard.dagster_run_id"] == "run-2"
    reg.tag_version(name, v3, {T.TAG_ISOLATION: "failed", T.TAG_BEHAVIOR: "passed"})
    with pytest.raises(PromotionRefused):
        promote(reg, name, v3, audit)
    assert reg.alias_version(name, "champion") == v2
    assert reg.client.get_model_version(name, v3).tags[T.TAG_STATUS] == "rejected"
    assert not promote(reg, name, v2, audit).changed


def test_rollback_over_rest_with_preview_then_for_real_and_idempotent(rest):
    _, settings, reg, tenant, name, (v1, v2, *_) = rest
    assert reg.alias_version(name, "champion") == v2
    dry = run_rollback(settings, actor="test", tenant_id=tenant, reason="deviation over rest", dry_run=True, preview=True)
    assert (dry.move.before, dry.move.after, dry.move.changed) == (v2, v1, False)
    assert set(dry.preview) == {"current", "target"} and dry.preview["target"]  # models loaded over REST
    assert reg.alias_version(name, "champion") == v2
    out = run_rollback(settings, actor="test", tenant_id=tenant, reason="deviation over rest", preview=False)
    assert (out.move.before, out.move.after, out.move.changed) == (v2, v1, True)
    assert reg.alias_version(name, "champion") == v1
    assert reg.client.get_model_version(name, v2).tags[T.TAG_STATUS] == "rolled_back"
    assert '"state": "done"' in reg.client.get_registered_model(name).tags[TAG_LAST_ROLLBACK]
    again = run_rollback(settings, actor="test", tenant_id=tenant, reason="deviation over rest", preview=False)
    assert not again.move.changed and reg.alias_version(name, "champion") == v1
    assert [e.after for e in AuditLog.from_settings(settings).entries(action="rollback")] == [v1]
    assert AuditLog.from_settings(settings).verify().ok


def test_a_stopped_server_fails_promotion_fast_with_champion_unchanged_and_the_retry_succeeds(rest):
    server, settings, reg, _, name, (*_, v4) = rest
    before = reg.alias_version(name, "champion")
    _passed(reg, name, v4)
    server.stop()
    t0 = time.monotonic()
    with pytest.raises(MlflowException):
        promote(reg, name, v4, audit_to_log(settings, actor="test"))
    with pytest.raises(MlflowUnavailable, match="unreachable"):
        reg.check_reachable()
    assert time.monotonic() - t0 < 60
    # the server's own backing store: nothing moved; the retry (here straight on that store) promotes
    store = R.Registry(f"sqlite:///{server.root / 'mlflow.db'}")
    assert store.alias_version(name, "champion") == before
    move = promote(store, name, v4, audit_to_log(settings, actor="test"))
    assert move.changed and store.alias_version(name, "champion") == v4

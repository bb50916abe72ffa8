"""MLFLOW_TRACKING_URI pointing at a port where nothing listens: every command that needs the store fails with
one line naming the URI and the fix, exit 2, instead of hanging in MLflow's HTTP retries (minutes by MLflow's
own defaults). Real `tenantguard` processes, so the retry settings are the ones a user gets: the test run's
own MLFLOW_HTTP_REQUEST_* values are removed. A command that hangs hits the 60 s timeout and fails the test
(a hang check; no timing is asserted)."""
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tenantguard.home.prepare import prepare_dataset
from tenantguard.models.ngram import NGramLM

from .helpers import save_model

TENANTGUARD = Path(sys.executable).with_name("tenantguard")
URI = "http://127.0.0.1:9"
LINE = f"error: MLflow store {URI} is unreachable (Connection refused); start the server or fix MLFLOW_TRACKING_URI"

pytestmark = pytest.mark.slow


def tenantguard(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_HTTP_REQUEST")}
    env["MLFLOW_TRACKING_URI"] = URI
    try:
        return subprocess.run([str(TENANTGUARD), *args], env=env, capture_output=True, text=True,
                              timeout=60, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail(f"tenantguard {' '.join(args)} hung on an unreachable MLflow store")


@pytest.fixture(autouse=True)
def nothing_listens():
    with socket.socket() as s:
        if s.connect_ex(("127.0.0.1", 9)) == 0:
            pytest.skip("something listens on 127.0.0.1:9; these tests need a port that refuses")


@pytest.fixture
def world(small_world, tmp_path):
    """Every tenant prepared (eval isolation audits against them); a local model directory."""
    settings, world = small_world
    for t in world.tenants:
        prepare_dataset(settings, t, tenants=world.tenants)
    return world, save_model(NGramLM().fit(world.base_corpus), tmp_path / "local-model")


def registered(tenant_id: str) -> str:
    return f"models:/support-assistant.{tenant_id}/1"


def assert_one_line(proc: subprocess.CompletedProcess) -> None:
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.strip().splitlines() == [LINE]


def test_eval_isolation_of_a_registered_model(world):
    w, _ = world
    tid = w.tenants[0].id
    assert_one_line(tenantguard("eval", "isolation", "--tenant", tid, "--model-uri", registered(tid)))


def test_eval_isolation_of_a_local_model_still_looks_up_the_registered_base(world):
    w, local = world
    assert_one_line(tenantguard("eval", "isolation", "--tenant", w.tenants[0].id, "--model-uri", local))


def test_eval_behavior(world):
    w, local = world
    tid = w.tenants[0].id
    assert_one_line(tenantguard("eval", "behavior", "--tenant", tid, "--model-uri", registered(tid)))
    assert_one_line(tenantguard("eval", "behavior", "--tenant", tid, "--model-uri", local,
                                "--baseline-uri", f"models:/support-assistant.{tid}@champion"))


@pytest.mark.parametrize("how", ["--dry-run", "--yes"])
def test_rollback(world, how):
    from tenantguard.config import Settings
    from tenantguard.killswitch.store import KillSwitchStore

    w, _ = world
    token = KillSwitchStore.from_settings(Settings.from_env()).actors.init_admin("ops")  # authorized, then the store
    assert_one_line(tenantguard("rollback", "--tenant", w.tenants[0].id, "--reason", "x", "--token", token, how))


def test_demo_fails_before_writing_its_world(tg_home):
    assert_one_line(tenantguard("demo", "--tenants", "2"))
    assert not (tg_home / "tenants.yaml").exists()

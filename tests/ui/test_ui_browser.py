"""The UIs as a user sees them: dagster-webserver and `mlflow server` on loopback over a demo home where two
tenants went through tune_and_gate, driven by headless Debian Chromium through Playwright.

Screenshots go to test-artifacts/ui/ (gitignored) for a human look.
"""
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import write_small_world

pytestmark = [pytest.mark.ui, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-artifacts" / "ui"
BIN = Path(sys.executable).parent
CHROMIUM = os.environ.get("TENANTGUARD_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage"]
FEATURE = "support-assistant"
LOCATION = "tenantguard.pipelines.definitions"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_http(url: str, proc: subprocess.Popen, log: Path, timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} exited {proc.returncode}: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=3) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} not ready after {timeout:.0f}s: {log.read_text()[-2000:]}")


def _start(cmd: list[str], env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen(cmd, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)


def _stop(proc: subprocess.Popen) -> None:
    import signal

    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


@pytest.fixture(scope="module")
def demo_home(tmp_path_factory):
    """Three tenants; two of them tuned, evaluated and promoted in process on the home's own instance."""
    from dagster import DagsterInstance

    from tenantguard.config import Settings
    from tenantguard.pipelines.definitions import defs
    from tenantguard.sensors.tenant_sync import sync_partitions

    home = tmp_path_factory.mktemp("ui") / "home"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TENANTGUARD_HOME", str(home))
        mp.setenv("TENANTGUARD_SECRET", "ui-secret-a892f8af71f9ca57ec41cf549f89ecaf7bd17bde07c2713714f2dabdbbca971e")
        for var in ("MLFLOW_TRACKING_URI", "DAGSTER_HOME", "TENANTGUARD_TENANTS", "TENANTGUARD_DATASETS"):
            mp.delenv(var, raising=False)
        settings = Settings.from_env()
        world = write_small_world(settings, n_tenants=3)
        ids = [t.id for t in world.tenants]
        with DagsterInstance.from_config(str(settings.dagster_home)) as instance:
            sync_partitions(instance, ids)
            assert defs.resolve_job_def("base_job").execute_in_process(instance=instance).success
            for tid in ids[:2]:
                assert defs.resolve_job_def("tune_and_gate").execute_in_process(
                    instance=instance, partition_key=tid).success
    return settings, ids


@pytest.fixture(scope="module")
def servers(demo_home, tmp_path_factory):
    """dagster-webserver on the default code location and `mlflow server` on the home's store."""
    settings, _ = demo_home
    logs = tmp_path_factory.mktemp("ui-logs")
    env = {**os.environ, "TENANTGUARD_HOME": str(settings.home), "TENANTGUARD_SECRET": "ui-secret-a892f8af71f9ca57ec41cf549f89ecaf7bd17bde07c2713714f2dabdbbca971e",
           "DAGSTER_HOME": str(settings.dagster_home), "DAGSTER_DISABLE_TELEMETRY": "1",
           "MLFLOW_DISABLE_TELEMETRY": "true"}
    env.pop("MLFLOW_TRACKING_URI", None)
    dport, mport = _free_port(), _free_port()
    dagster = _start([str(BIN / "dagster-webserver"), "-w", str(ROOT / "workspace.yaml"), "-h", "127.0.0.1",
                      "-p", str(dport)], {**env, "PYTHONPATH": str(ROOT)}, logs / "dagster.log")
    mlflow = _start([str(BIN / "mlflow"), "server", "--backend-store-uri", settings.mlflow_tracking_uri,
                     "--artifacts-destination", str(settings.artifact_root), "--host", "127.0.0.1",
                     "--port", str(mport), "--workers", "1"], env, logs / "mlflow.log")
    try:
        _wait_http(f"http://127.0.0.1:{dport}/server_info", dagster, logs / "dagster.log")
        _wait_http(f"http://127.0.0.1:{mport}/health", mlflow, logs / "mlflow.log")
        yield f"http://127.0.0.1:{dport}", f"http://127.0.0.1:{mport}"
    finally:
        _stop(dagster)
        _stop(mlflow)


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium; .ci/run does it when it can)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed (pip install -e '.[ui-test]')")
    SHOTS.mkdir(parents=True, exist_ok=True)
    profile = tmp_path_factory.mktemp("chromium-profile")  # fresh --user-data-dir
    with sync_api.sync_playwright() as pw:
        ctx = pw.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS,
            viewport={"width": 1600, "height": 1000})
        try:
            pg = ctx.new_page()
            pg.set_default_timeout(60_000)
            yield pg
        finally:
            ctx.close()


def _text_appears(pg, *needles: str, timeout_ms: int = 60_000) -> str:
    """Wait until every needle is in the page's visible text; return that text."""
    try:
        pg.wait_for_function("needles => needles.every(n => document.body && document.body.innerText.includes(n))",
                             arg=list(needles), timeout=timeout_ms)
    except Exception:
        pg.screenshot(path=str(SHOTS / "FAILED-last-page.png"), full_page=True)  # what the user would have seen
        raise AssertionError(f"{pg.url}: not all of {needles} visible; page text: "
                             f"{pg.inner_text('body')[:800]!r}") from None
    return pg.inner_text("body")


def _open_dagster(pg, url: str) -> None:
    """Load a Dagster page and dismiss the first-visit community dialog a fresh profile gets."""
    pg.goto(url)
    pg.wait_for_load_state("networkidle")
    skip = pg.get_by_role("button", name="Skip")
    if skip.count():
        skip.first.click()


def test_asset_graph_shows_the_tenant_pipeline(servers, page):
    dagster, _ = servers
    # tune_and_gate's page renders the asset graph of the job (the path the Jobs list links to)
    _open_dagster(page, f"{dagster}/locations/__repository__@{LOCATION}/jobs/tune_and_gate")
    page.set_viewport_size({"width": 2400, "height": 1000})  # room for the five nodes beside the info panel
    text = _text_appears(page, "finetune_dataset", "candidate_model", "3 partitions", "View 5 assets")
    page.wait_for_timeout(1500)  # let the graph layout settle before the picture
    page.screenshot(path=str(SHOTS / "dagster-asset-graph.png"), full_page=True)
    page.set_viewport_size({"width": 1600, "height": 1000})
    assert "tune_and_gate" in text and "2 / 2 Passed" in text  # dataset_valid and dataset_drift, on the graph node


def test_isolation_report_partitions_list_every_tenant(servers, page, demo_home):
    dagster, _ = servers
    _, ids = demo_home
    _open_dagster(page, f"{dagster}/assets/isolation_report?view=partitions")
    _text_appears(page, *ids)
    page.wait_for_timeout(1000)
    page.screenshot(path=str(SHOTS / "dagster-isolation-partitions.png"), full_page=True)
    text = page.inner_text("body")
    assert "Materialized (2)" in text and "Missing (1)" in text, text[:1500]  # two tenants tuned, one not yet


def test_isolation_report_checks_page_shows_the_blocking_check_passed(servers, page, demo_home):
    dagster, _ = servers
    _, ids = demo_home
    _open_dagster(page, f"{dagster}/assets/isolation_report?view=checks")
    text = _text_appears(page, "cross_tenant_isolation")
    page.wait_for_timeout(1500)
    page.screenshot(path=str(SHOTS / "dagster-isolation-checks.png"), full_page=True)
    assert "Passed" in text or "Succeeded" in text, text[:2000]
    assert "Blocking" in text or "blocking" in text
    assert "Partition" in text and ids[1] in text, text[:2000]  # the latest evaluation names its tenant


def test_mlflow_registry_shows_the_tenant_model_with_its_aliases(servers, page, demo_home):
    _, mlflow = servers
    _, ids = demo_home
    name = f"{FEATURE}.{ids[0]}"
    page.goto(f"{mlflow}/#/models/{name}")
    text = _text_appears(page, name, "champion", "candidate")
    page.wait_for_timeout(1000)
    page.screenshot(path=str(SHOTS / "mlflow-registered-model.png"), full_page=True)
    assert "Version 1" in text or "version 1" in text.lower()
    page.goto(f"{mlflow}/#/models/{name}/versions/1")
    text = _text_appears(page, "tenantguard.isolation", "tenantguard.status")
    page.wait_for_timeout(1000)
    page.screenshot(path=str(SHOTS / "mlflow-model-version.png"), full_page=True)
    assert "promoted" in text and ids[0] in text

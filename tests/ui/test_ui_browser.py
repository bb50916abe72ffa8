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


def _relabelled(settings, source: str, target: str, n: int = 12) -> list[dict]:
    """`source`'s prepared records relabelled as `target`'s (a silent contamination)."""
    from tenantguard.evaluations.canaries import is_canary_record
    from tenantguard.home.prepared import load_prepared

    records = [r for r in load_prepared(settings, source).train if not is_canary_record(r)][:n]
    return [{**r, "record_id": f"{target}-imported-{i:04d}", "tenant_id": target} for i, r in enumerate(records)]


def _register_external(settings, tenant: str, records: list[dict]) -> str:
    """A version registered outside Dagster (the platform's own tuning job) with the two tenantguard tags."""
    import mlflow

    from tenantguard.models.adapter import load_tenant_model
    from tenantguard.models.ngram_tuner import finetune, log_ngram_model
    from tenantguard.registry import client as R
    from tenantguard.registry import tags as T

    reg = R.Registry(settings.mlflow_tracking_uri, settings.artifact_root)
    base = load_tenant_model(f"models:/{FEATURE}.base@champion")
    with mlflow.start_run(experiment_id=reg.experiment_id("platform-tuner")):
        info = log_ngram_model(finetune(base.lm, records))
    mv = mlflow.register_model(info.model_uri, T.model_name(FEATURE, tenant),
                               tags={T.TAG_TENANT: tenant, T.TAG_FEATURE: FEATURE})
    return str(mv.version)


@pytest.fixture(scope="module")
def demo_home(tmp_path_factory):
    """Three tenants on the home's own instance, each with a story the UIs must tell at a glance:
    ids[0] tuned and promoted (v1), then a version carrying ids[1]'s records rejected by cross_tenant_isolation
    (v2); ids[1] tuned (v1), a clean v2 promoted, then rolled back; ids[2]'s only dataset carries ids[1]'s
    records and is blocked by dataset_valid. Returns (settings, ids, run ids by story)."""
    import json

    import mlflow
    from dagster import DagsterInstance

    from tenantguard.assets.runs import adopt_run_config, rollback_run_config
    from tenantguard.config import Settings
    from tenantguard.home.prepared import load_prepared
    from tenantguard.pipelines.definitions import defs
    from tenantguard.sensors.tenant_sync import sync_partitions

    home = tmp_path_factory.mktemp("ui") / "home"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TENANTGUARD_HOME", str(home))
        mp.setenv("TENANTGUARD_SECRET", "ui-secret-a892f8af71f9ca57ec41cf549f89ecaf7bd17bde07c2713714f2dabdbbca971e")
        for var in ("MLFLOW_TRACKING_URI", "DAGSTER_HOME", "TENANTGUARD_TENANTS", "TENANTGUARD_DATASETS"):
            mp.delenv(var, raising=False)
        settings = Settings.from_env()
        mlflow.set_tracking_uri(settings.mlflow_tracking_uri)
        world = write_small_world(settings, n_tenants=3)
        ids = [t.id for t in world.tenants]
        runs = {}
        with DagsterInstance.from_config(str(settings.dagster_home)) as instance:
            def run(job, **kwargs):
                return defs.resolve_job_def(job).execute_in_process(instance=instance, raise_on_error=False, **kwargs)

            sync_partitions(instance, ids)
            assert run("base_job").success
            for tid in ids[:2]:
                assert run("tune_and_gate", partition_key=tid).success
            leaky = _register_external(settings, ids[0], [*load_prepared(settings, ids[0]).train,
                                                          *_relabelled(settings, ids[1], ids[0])])
            result = run("evaluate_version", partition_key=ids[0], run_config=adopt_run_config(leaky, FEATURE))
            assert not result.success
            runs["isolation_failed"] = result.run_id
            clean = _register_external(settings, ids[1], load_prepared(settings, ids[1]).train[:-5])
            assert run("evaluate_version", partition_key=ids[1], run_config=adopt_run_config(clean, FEATURE)).success
            assert run("rollback", run_config=rollback_run_config(ids[1], FEATURE, "refusal rate dropped in "
                                                                  "production (ui story)")).success
            path = settings.datasets_root / ids[2] / "v0001.jsonl"
            records = [json.loads(x) for x in path.read_text().splitlines()]
            path.write_text("".join(json.dumps(r) + "\n" for r in [*records, *_relabelled(settings, ids[1], ids[2])]))
            result = run("tune_and_gate", partition_key=ids[2])
            assert not result.success
            runs["dataset_blocked"] = result.run_id
        mlflow.set_tracking_uri(None)
    return settings, ids, runs


@pytest.fixture(scope="module")
def servers(demo_home, tmp_path_factory):
    """dagster-webserver on the default code location and `mlflow server` on the home's store."""
    settings, _, _ = demo_home
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


def _frame_text(frame) -> str:
    try:
        return frame.inner_text("body", timeout=2000)
    except Exception:  # a frame still loading, or one without a body
        return ""


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
    assert "tune_and_gate" in text


def test_isolation_report_partitions_list_every_tenant(servers, page, demo_home):
    dagster, _ = servers
    _, ids, _ = demo_home
    _open_dagster(page, f"{dagster}/assets/isolation_report?view=partitions")
    _text_appears(page, *ids)
    page.wait_for_timeout(1000)
    page.screenshot(path=str(SHOTS / "dagster-isolation-partitions.png"), full_page=True)
    text = page.inner_text("body")
    # two tenants tuned; the third's run stopped at dataset_valid, before isolation_report
    assert "Materialized (2)" in text and "Failed (1)" in text, text[:1500]


def test_isolation_report_checks_page_shows_the_blocking_check_passed(servers, page, demo_home):
    dagster, _ = servers
    _, ids, _ = demo_home
    _open_dagster(page, f"{dagster}/assets/isolation_report?view=checks")
    text = _text_appears(page, "cross_tenant_isolation")
    page.wait_for_timeout(1500)
    page.screenshot(path=str(SHOTS / "dagster-isolation-checks.png"), full_page=True)
    assert "blocking" in text and "Plots" in text and "max_exposure_bits" in text, text[:2000]


def test_a_failed_isolation_run_says_why_first_not_a_traceback(servers, page, demo_home):
    dagster, _ = servers
    _, ids, runs = demo_home
    _open_dagster(page, f"{dagster}/runs/{runs['isolation_failed']}")
    text = _text_appears(page, f"cross_tenant_isolation blocked tenant {ids[0]}", f"data of {ids[1]} found")
    page.wait_for_timeout(1500)
    page.screenshot(path=str(SHOTS / "dagster-run-isolation-failed.png"), full_page=True)
    assert "DagsterAssetCheckFailedError" not in text


def test_the_isolation_check_detail_shows_plottable_numbers_per_tenant(servers, page, demo_home):
    dagster, _ = servers
    _, ids, _ = demo_home
    _open_dagster(page, f"{dagster}/assets/isolation_report?view=checks&checkDetail=cross_tenant_isolation")
    # Dagster plots each numeric metadata key of the check's evaluations: one chart per number, every tenant
    _text_appears(page, "cross_tenant_isolation", "Plots", "max_exposure_bits", "exposure_threshold_bits",
                  "min_adjusted_p_value", "membership_auc", "sources_tested", "records_scored", "power", "seconds")
    page.wait_for_timeout(1500)
    page.screenshot(path=str(SHOTS / "dagster-isolation-check-detail.png"), full_page=True)


def test_a_dataset_blocked_by_dataset_valid_is_not_shown_materialized(servers, page, demo_home):
    import re

    dagster, _ = servers
    _, ids, _ = demo_home
    _open_dagster(page, f"{dagster}/assets/finetune_dataset?view=partitions")
    text = _text_appears(page, *ids)
    page.wait_for_timeout(1000)
    page.screenshot(path=str(SHOTS / "dagster-dataset-partitions.png"), full_page=True)
    assert "Materialized (2)" in text and "Failed (1)" in text, text[:1500]
    _open_dagster(page, f"{dagster}/assets/finetune_dataset?view=checks&checkDetail=dataset_valid")
    text = _text_appears(page, "dataset_valid", ids[2])
    page.wait_for_timeout(1000)
    page.screenshot(path=str(SHOTS / "dagster-dataset-valid-check.png"), full_page=True)
    assert not re.search(r"\d\.\d{7,}", text), "an unrounded number is shown"


def test_mlflow_registry_shows_champions_and_no_stale_candidate(servers, page, demo_home):
    _, mlflow = servers
    _, ids, _ = demo_home
    name = f"{FEATURE}.{ids[0]}"
    page.goto(f"{mlflow}/#/models/{name}")
    text = _text_appears(page, name, "champion", "Rejected: not promoted")
    page.wait_for_timeout(1000)
    page.screenshot(path=str(SHOTS / "mlflow-registered-model.png"), full_page=True)
    flat = " ".join(text.split())
    assert "@ champion" in flat and "@ candidate" not in flat  # rejected v2 no longer poses as under evaluation
    page.goto(f"{mlflow}/#/models/{name}/versions/1")
    text = _text_appears(page, "tenantguard.isolation", "tenantguard.status", "Champion")
    page.wait_for_timeout(1000)
    page.screenshot(path=str(SHOTS / "mlflow-model-version.png"), full_page=True)
    assert "promoted" in text and ids[0] in text


def test_a_rejected_version_says_why_and_links_its_html_isolation_report(servers, page, demo_home):
    _, mlflow = servers
    _, ids, _ = demo_home
    page.goto(f"{mlflow}/#/models/{FEATURE}.{ids[0]}/versions/2")
    text = _text_appears(page, "Rejected: not promoted", "Isolation audit:", "isolation report (HTML)")
    page.wait_for_timeout(1000)
    page.screenshot(path=str(SHOTS / "mlflow-rejected-version.png"), full_page=True)
    assert f"data of {ids[1]} found" in text
    # the description's link (MLflow opens description links in a new tab): the run's page for the HTML artifact
    href = page.get_by_role("link", name="isolation report (HTML)").first.get_attribute("href")
    assert href.startswith("#/experiments/") and href.endswith("/artifacts/isolation_report.html"), href
    page.goto(f"{mlflow}/{href}")
    body, deadline = "", time.monotonic() + 60
    while f"Source tenant {ids[1]}" not in body and time.monotonic() < deadline:  # MLflow shows HTML in an iframe
        page.wait_for_timeout(1000)
        body = " ".join(_frame_text(f) for f in page.frames if f != page.main_frame)
    page.screenshot(path=str(SHOTS / "mlflow-isolation-report-html.png"), full_page=True)
    assert f"Source tenant {ids[1]}" in body and "canary exposure" in body and "leak" in body, body[:500]


def test_a_rolled_back_version_says_so_and_keeps_no_alias(servers, page, demo_home):
    _, mlflow = servers
    _, ids, _ = demo_home
    page.goto(f"{mlflow}/#/models/{FEATURE}.{ids[1]}/versions/2")
    text = _text_appears(page, "Rolled back", "refusal rate dropped in production (ui story)")
    page.wait_for_timeout(1000)
    page.screenshot(path=str(SHOTS / "mlflow-rolled-back-version.png"), full_page=True)
    assert "@candidate" not in text

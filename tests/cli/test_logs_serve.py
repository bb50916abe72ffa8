"""`tenantguard logs serve` as a process, fed by the real OpenTelemetry SDK exporter, then `abuse scan`:
from exporter to alert. The same traffic appended natively gives the same alerts; sent without content
(capture off) the text detectors say "not run" and the token-budget alert still fires."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tenantguard.demo.traffic import generate_traffic
from tenantguard.monitoring.abuse.benign_corpus import DEFAULT_TENANTS
from tenantguard.tenants import Tenant, dump_tenants

from .helpers import run

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "monitoring"))
from otlp_export import export_rows  # noqa: E402  (tests/monitoring/otlp_export.py)

CAMPAIGNS = ("token_budget", "jailbreak_sweep")


def _with_tenants(home: Path) -> Path:
    home.mkdir(parents=True)
    dump_tenants([Tenant(t, t, "eu-west", ("support-assistant",), p) for t, p in DEFAULT_TENANTS.items()],
                 home / "tenants.yaml")
    return home


@pytest.fixture
def home(tg_home):
    return _with_tenants(tg_home)


@pytest.fixture
def serve(home):
    """`tenantguard logs serve --port 0` in its own process; yields its URL, stops it with SIGTERM."""
    command = Path(sys.executable).with_name("tenantguard")
    proc = subprocess.Popen([str(command), "logs", "serve", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy())
    line = proc.stdout.readline()
    assert line.startswith("receiving OTLP/HTTP traces on http://127.0.0.1:"), line + proc.stderr.read()
    yield line.split()[4].removesuffix("/v1/traces")
    proc.terminate()
    assert proc.wait(timeout=30) == 0, proc.stderr.read()


def _alerts(output: str) -> set[tuple]:
    return {(a["kind"], a["tenant_id"], a["api_key"]) for a in json.loads(output)}


def test_spans_from_the_sdk_exporter_raise_the_same_alerts_as_the_rows_themselves(serve, home, tmp_path):
    traffic = generate_traffic(400, seed=3, campaigns=CAMPAIGNS)
    export_rows(traffic.rows, serve + "/v1/traces")
    via_otlp = run("abuse", "scan", "--json")
    assert via_otlp.exit_code == 1
    alerts = _alerts(via_otlp.stdout)
    assert {kind for kind, *_ in alerts} == set(CAMPAIGNS)
    native = tmp_path / "native.jsonl"
    native.write_text("".join(json.dumps(r) + "\n" for r in traffic.rows))
    os.environ["TENANTGUARD_HOME"] = str(_with_tenants(tmp_path / "native-home"))  # tg_home's monkeypatch restores it
    assert run("logs", "ingest", str(native)).exit_code == 0
    assert _alerts(run("abuse", "scan", "--json").stdout) == alerts


def test_without_content_the_text_detectors_are_not_run_and_spend_still_alerts(serve, home):
    traffic = generate_traffic(200, seed=3, campaigns=CAMPAIGNS)
    export_rows(traffic.rows, serve + "/v1/traces", content=False)
    result = run("abuse", "scan")
    assert result.exit_code == 1
    n = len(traffic.rows)
    assert (f"not run on rows without a prompt (content capture off): injection_campaign ({n} rows), "
            f"jailbreak_sweep ({n} rows), model_extraction ({n} rows)") in result.stdout
    (alert,) = result.stdout.splitlines()[2:]
    assert alert.startswith("token_budget ")

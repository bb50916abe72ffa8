"""`tenantguard demo` through the real entry point, twice: a table, then the same versions reused."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
TENANTGUARD = str(Path(sys.executable).with_name("tenantguard"))


def _demo(env):
    proc = subprocess.run([TENANTGUARD, "demo", "--tenants", "3"], env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "Traceback" not in proc.stdout + proc.stderr
    return proc.stdout


def _table(out: str) -> list[dict]:
    lines = out.splitlines()
    head = next(i for i, ln in enumerate(lines) if ln.startswith("tenant ") and "digest" in ln)
    cols = re.split(r"\s{2,}", lines[head].strip())
    assert set(lines[head + 1].replace(" ", "")) == {"-"}
    rows = []
    for ln in lines[head + 2:]:
        if not ln.strip():
            break
        rows.append(dict(zip(cols, re.split(r"\s{2,}", ln.strip()))))
    return rows


def test_demo_prints_the_table_and_a_second_run_reuses_everything(tg_home):
    env = {**os.environ, "TENANTGUARD_HOME": str(tg_home), "TENANTGUARD_SECRET": "demo-test-secret"}
    first = _demo(env)
    assert "new synthetic world" in first, first
    rows = _table(first)
    assert [r["tenant"] for r in rows] == ["acme-health", "borealis-bank", "cobalt-logistics"], first
    for r in rows:
        assert r["dataset"] == "v0001" and re.fullmatch(r"[0-9a-f]{16}", r["digest"]), first
        assert r["kept"] == "300" and r["quarantined"] == "0", first
        assert r["model"] == f"support-assistant.{r['tenant']}" and r["candidate"] == "1", first

    second = _demo(env)
    assert "existing world reused" in second, second
    again = _table(second)
    keep = ("tenant", "dataset", "digest", "kept", "quarantined", "model", "candidate")
    assert [{k: r[k] for k in keep} for r in again] == [{k: r[k] for k in keep} for r in rows], first + second

    # the registry agrees: one version per tenant model after two runs, and the runs are in Dagster
    from mlflow import MlflowClient

    uri = f"sqlite:///{tg_home.resolve() / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)  # explicit: other tests set a global registry URI
    for r in rows:
        assert [str(v.version) for v in client.search_model_versions(f"name = '{r['model']}'")] == ["1"], second
    assert len(list((tg_home / "dagster" / "history" / "runs").glob("*.db"))) >= 2 * (1 + len(rows))


def _canary_secrets(tenant_ids):
    from tenantguard.evaluations.canaries import make_canaries

    return {c.secret_digits: c.id for t in tenant_ids for ref in (False, True)
            for c in make_canaries(b"demo-test-secret", t, reference=ref)}


def test_no_canary_reaches_mlflow_dagster_logs_or_the_audit_trail(tg_home):
    """Canaries live only in the tenant's own prepared data (and inside its model's weights)."""
    env = {**os.environ, "TENANTGUARD_HOME": str(tg_home), "TENANTGUARD_SECRET": "demo-test-secret"}
    _demo(env)
    secrets = _canary_secrets(["acme-health", "borealis-bank", "cobalt-logistics"])
    own_data = {"prepared", "datasets", "quarantine"}
    scanned = 0
    for path in tg_home.rglob("*"):
        rel = path.relative_to(tg_home)
        if not path.is_file() or rel.parts[0] in own_data or path.suffix == ".gz":
            continue
        blob = path.read_bytes()
        scanned += 1
        for digits, cid in secrets.items():
            assert digits.encode() not in blob, f"canary {cid} found in {rel}"
    assert scanned > 20  # MLflow db and artifacts, Dagster storage, logs, audit db were all read

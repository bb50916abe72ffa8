"""TenantGuardComponent in a fresh `dg` project, scaffolded by the real `create-dagster` and driven by the real
`dg` CLI: tenantguard's assets load beside the project's own asset, and one tenant tunes and gates."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import write_small_world

pytestmark = [pytest.mark.dg_project, pytest.mark.slow]
BIN = Path(sys.executable).parent
SECRET = "dg-project-secret-6f0d2c9a41b87e35d1c4a09b7e2f5c83a6d4b1e0"  # strong: Settings refuses weak ones
DEFS_YAML = """type: tenantguard.dagster.TenantGuardComponent
attributes:
  home: .tenantguard
  features: [support-assistant]
  thresholds: {isolation_alpha: 0.01}
  segmentation_cron: "0 4 * * *"
"""
OWN_ASSET = '''import dagster as dg


@dg.asset(group_name="platform")
def tenant_usage_report() -> dg.MaterializeResult:
    """The platform's own asset, beside tenantguard's."""
    return dg.MaterializeResult(metadata={"rows": 3})
'''


def _run(args: list[str], cwd: Path, env: dict) -> str:
    proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"{' '.join(args)} exited {proc.returncode}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc.stdout


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """`create-dagster project` (no uv, no network), the component's defs.yaml, an asset of the project's own and
    a three-tenant world in the project's tenantguard home."""
    from tenantguard.config import Settings

    if not (BIN / "create-dagster").exists() or not (BIN / "dg").exists():
        pytest.skip("create-dagster / dg not installed: pip install -e '.[dg]' (make install does)")
    root = tmp_path_factory.mktemp("dg")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TENANTGUARD_", "MLFLOW_TRACKING", "DAGSTER_HOME"))}
    env.update({"PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}", "DAGSTER_DG_UPDATE_CHECK_ENABLED": "0",
                "DAGSTER_DISABLE_TELEMETRY": "1", "TENANTGUARD_SECRET": SECRET, "DAGSTER_HOME": str(root / "dagster"),
                "COLUMNS": "200"})
    _run([str(BIN / "create-dagster"), "project", "tenant_platform", "--no-uv-sync"], root, env)
    proj = root / "tenant_platform"
    defs = proj / "src" / "tenant_platform" / "defs"
    (defs / "tenantguard").mkdir(parents=True)
    (defs / "tenantguard" / "defs.yaml").write_text(DEFS_YAML)
    (defs / "usage.py").write_text(OWN_ASSET)
    env["PYTHONPATH"] = str(proj / "src")  # what `pip install -e .` of the project would give
    (root / "dagster").mkdir(exist_ok=True)
    (root / "dagster" / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    settings = Settings.from_env({"TENANTGUARD_SECRET": SECRET}, home=proj / ".tenantguard")
    world = write_small_world(settings, n_tenants=3)
    return proj, env, settings, [t.id for t in world.tenants]


def test_dg_lists_tenantguards_definitions_beside_the_projects_own(project):
    proj, env, _, _ = project
    listed = json.loads(_run([str(BIN / "dg"), "list", "defs", "--json"], proj, env))
    assets = {a["asset_key"] for a in listed["assets"]}
    assert {"tenant_usage_report", "finetune_dataset", "candidate_model", "isolation_report", "behavior_report",
            "champion_model"} <= assets
    checks = {c["key"] for c in listed["asset_checks"]}
    assert {"isolation_report:cross_tenant_isolation", "finetune_dataset:dataset_valid"} <= checks
    assert [s["cron_schedule"] for s in listed["schedules"]] == ["0 4 * * *"]
    components = _run([str(BIN / "dg"), "list", "components"], proj, env)
    assert "tenantguard.dagster.TenantGuardComponent" in components


def test_one_tenant_tunes_and_gates_in_the_dg_project(project):
    """base_job, then tune_and_gate for one tenant partition, launched by `dg launch` on the project's instance:
    the candidate passes every blocking check and becomes @champion in the project's MLflow store."""
    from dagster import AssetKey, DagsterInstance

    from tenantguard.registry import tags as T
    from tenantguard.registry.client import Registry
    from tenantguard.sensors.tenant_sync import sync_partitions

    proj, env, settings, ids = project
    tenant = ids[0]
    with DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
        sync_partitions(instance, ids)
    dg = str(BIN / "dg")
    _run([dg, "launch", "--job", "base_job"], proj, env)
    _run([dg, "launch", "--job", "tune_and_gate", "--partition", tenant], proj, env)
    _run([dg, "launch", "--assets", "tenant_usage_report"], proj, env)
    reg = Registry(settings.mlflow_tracking_uri, settings.artifact_root)
    name = T.model_name("support-assistant", tenant)
    champion = reg.alias_version(name, "champion")
    assert champion is not None
    tags = reg.client.get_model_version(name, champion).tags
    assert (tags[T.TAG_ISOLATION], tags[T.TAG_BEHAVIOR], tags[T.TAG_STATUS]) == ("passed", "passed", "promoted")
    with DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
        assert instance.get_materialized_partitions(AssetKey("champion_model")) == {tenant}
        assert instance.get_latest_materialization_event(AssetKey("tenant_usage_report")) is not None

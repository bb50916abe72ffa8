"""The code location loads, and its public names are locked: a rename is a decision, made here."""
import os
import subprocess
import sys
from pathlib import Path

from dagster import AssetKey

from tenantguard.config import TENANTS_PER_RUN_ENV, Settings
from tenantguard.pipelines.definitions import build_definitions, defs

# THE LOCK. Adding an asset/check/job/sensor: add it here. Renaming one: it breaks schedules, run
# history and users' selections, so change it here on purpose.
SEGMENTATION = {f"segmentation_report:{k}" for k in
                ("rag_boundary", "memory_isolation", "tool_scope", "context_contamination")}
LOCKED = {
    "assets": {"base_model", "finetune_dataset", "candidate_model", "isolation_report", "behavior_report",
               "champion_model", "segmentation_report", "abuse_alerts"},
    "checks": {"finetune_dataset:dataset_valid", "finetune_dataset:dataset_drift", "base_model:base_isolation",
               "isolation_report:cross_tenant_isolation", "behavior_report:behavioral_baseline", *SEGMENTATION,
               "abuse_alerts:no_open_abuse_alerts"},
    "blocking_checks": {"finetune_dataset:dataset_valid", "base_model:base_isolation",
                        "isolation_report:cross_tenant_isolation", "behavior_report:behavioral_baseline",
                        *SEGMENTATION},
    "per_tenant_assets": {"finetune_dataset", "candidate_model", "isolation_report", "behavior_report",
                          "champion_model", "segmentation_report", "abuse_alerts"},
    "jobs": {"base_job", "tune_and_gate", "evaluate_version", "rollback", "kill_switch", "segmentation_job",
             "abuse_alerts_job"},
    "schedules": {"segmentation_daily_schedule"},
    "sensors": {"tenant_sync_sensor", "dataset_watch_sensor", "registry_watch_sensor", "production_watch_sensor",
                "abuse_watch_sensor"},
}


def _asset_graph():
    return defs.resolve_asset_graph()


def test_asset_keys_are_locked():
    assert {k.to_user_string() for k in _asset_graph().get_all_asset_keys()} == LOCKED["assets"]


def test_check_keys_and_blocking_are_locked():
    graph = _asset_graph()
    checks = {f"{c.asset_key.to_user_string()}:{c.name}" for c in graph.asset_check_keys}
    assert checks == LOCKED["checks"]
    specs = [graph.get_check_spec(c) for c in graph.asset_check_keys]
    blocking = {f"{s.asset_key.to_user_string()}:{s.name}" for s in specs if s.blocking}
    assert blocking == LOCKED["blocking_checks"]


def test_per_tenant_assets_use_the_tenants_dynamic_partitions():
    graph = _asset_graph()
    partitioned = set()
    for key in graph.get_all_asset_keys():
        pd = graph.get(key).partitions_def
        if pd is not None:
            assert getattr(pd, "name", None) == "tenants", key
            partitioned.add(key.to_user_string())
    assert partitioned == LOCKED["per_tenant_assets"]


def test_job_names_are_locked():
    names = {j.name for j in defs.resolve_all_job_defs() if not j.name.startswith("__")}
    assert names == LOCKED["jobs"]


def test_schedule_names_are_locked():
    assert {s.name for s in defs.schedules} == LOCKED["schedules"]


def test_sensor_names_are_locked():
    assert {s.name for s in defs.sensors} == LOCKED["sensors"]


def test_the_resource_is_bound():
    assert "tenantguard" in defs.resources


def test_dagster_definitions_validate_passes(tmp_path):
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path), "TENANTGUARD_HOME": str(tmp_path / "tg"),
           "DAGSTER_DISABLE_TELEMETRY": "1"}
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    dagster = Path(sys.executable).with_name("dagster")
    proc = subprocess.run([str(dagster), "definitions", "validate", "-m", "tenantguard.pipelines.definitions"],
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Validation successful" in proc.stdout + proc.stderr
    # reading the environment at import time is not allowed: nothing was created in the home
    assert not (tmp_path / "tg").exists()


def test_the_tune_and_gate_assets_share_one_backfill_policy():
    """A backfill puts assets in one run only if their policies agree: one missing would split every batch."""
    job_assets = defs.resolve_job_def("tune_and_gate").asset_layer.executable_asset_keys
    policies = {_asset_graph().get(k).backfill_policy for k in job_assets}
    assert len(policies) == 1
    assert next(iter(policies)).max_partitions_per_run == Settings.from_env().tenants_per_run


def test_the_batch_size_comes_from_the_settings_the_location_is_built_with(tmp_path):
    built = build_definitions(Settings.from_env({TENANTS_PER_RUN_ENV: "3"}, home=tmp_path))
    graph = built.resolve_asset_graph()
    job_assets = built.resolve_job_def("tune_and_gate").asset_layer.executable_asset_keys
    assert {graph.get(k).backfill_policy.max_partitions_per_run for k in job_assets} == {3}
    assert graph.get(AssetKey("base_model")).backfill_policy is None


def test_importing_the_locations_reads_no_settings_and_loading_them_names_a_bad_one():
    """A bad TENANTGUARD_TENANTS_PER_RUN fails where the location loads (Dagster shows it), not at import."""
    code = ("import tenantguard.pipelines.definitions as d, tenantguard.pipelines.celery_definitions as c\n"
            "from tenantguard.errors import ConfigError\n"
            "for location in (d.location, c.location):\n"
            "    try:\n"
            "        location()\n"
            "    except ConfigError as exc:\n"
            "        print(exc)\n")
    env = {**os.environ, TENANTS_PER_RUN_ENV: "many"}
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [f"{TENANTS_PER_RUN_ENV}='many': expected a whole number >= 1 "
                                        f"(tenant partitions per backfill run)"] * 2


def test_sensors_target_the_jobs_their_run_requests_name():
    targets = {s.name: {t.job_name for t in s.targets} for s in defs.sensors}
    assert targets["abuse_watch_sensor"] == {"abuse_alerts_job", "rollback"}
    assert targets["production_watch_sensor"] == {"rollback"}
    assert targets["registry_watch_sensor"] == {"evaluate_version"}
    assert targets["dataset_watch_sensor"] == {"tune_and_gate"}

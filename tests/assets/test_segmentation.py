"""segmentation_report through a real Dagster instance: blocking checks per audit, not-run never passes,
the kill-switch policy, the daily schedule and the job."""
import json
from pathlib import Path

import pytest
from dagster import AssetKey, DagsterInstance, Definitions, SkipReason, build_schedule_context, materialize

from tenantguard.assets.resource import TenantGuardResource
from tenantguard.assets.segmentation import segmentation_report
from tenantguard.demo.platform.showcase import write_variant
from tenantguard.pipelines.segmentation_schedule import segmentation_daily_schedule, segmentation_job

KINDS = ("rag_boundary", "memory_isolation", "tool_scope", "context_contamination")
PLUGINS = Path(__file__).resolve().parents[1] / "plugins"


def _checks(result):
    return {e.asset_check_evaluation_data.check_name: e.asset_check_evaluation_data
            for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"}


@pytest.fixture
def world_instance(small_world, dagster_instance: DagsterInstance):
    settings, world = small_world
    dagster_instance.add_dynamic_partitions("tenants", [t.id for t in world.tenants])
    return settings, world, dagster_instance


def _materialize(instance, tenant):
    return materialize([segmentation_report], instance=instance, partition_key=tenant,
                       resources={"tenantguard": TenantGuardResource()}, raise_on_error=False)


def test_misconfigured_platform_fails_blocking_checks_and_engages_the_kill_switch_per_policy(world_instance):
    settings, world, instance = world_instance
    path = write_variant(settings, "misconfigured", path=settings.home / "segmentation.yaml")
    path.write_text(path.read_text() + "policy: {tool_scope: kill_switch}\n")
    tenant = world.tenants[0]
    result = _materialize(instance, tenant.id)
    assert not result.success  # blocking checks failed with ERROR severity: the step fails, nothing downstream runs
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert "blocking asset checks failed" in failure.step_failure_data.error.message
    checks = _checks(result)
    assert set(checks) == set(KINDS)
    assert {c.partition for c in checks.values()} == {tenant.id}
    for kind in ("rag_boundary", "memory_isolation", "tool_scope"):
        assert not checks[kind].passed and checks[kind].severity.value == "ERROR", kind
    ctx = checks["context_contamination"]
    assert not ctx.passed and ctx.severity.value == "WARN" and ctx.description.startswith("NOT RUN")
    from tenantguard.killswitch.store import KillSwitchStore

    switches = [s for s in KillSwitchStore.from_settings(settings).list() if s.engaged]
    assert [(s.scope.feature, s.scope.tenant) for s in switches] == [("support-assistant", tenant.id)]
    assert "tool_scope" in switches[0].reason
    report = json.loads((settings.home / "segmentation" / f"{tenant.id}.json").read_text())
    assert {r["kind"]: r["verdict"] for r in report["reports"]}["tool_scope"] == "failed"
    mat = instance.get_latest_materialization_event(AssetKey("segmentation_report"))
    assert "tool_scope=failed" in mat.asset_materialization.metadata["verdicts"].value
    # a re-run finds the switch already engaged and changes nothing
    _materialize(instance, tenant.id)
    assert len([s for s in KillSwitchStore.from_settings(settings).list() if s.engaged]) == 1


def test_bad_segmentation_yaml_fails_the_run_with_the_message(world_instance):
    settings, world, instance = world_instance
    (settings.home / "segmentation.yaml").write_text("retriever: nowhere_mod:make\n")
    result = _materialize(instance, world.tenants[0].id)
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert "nowhere_mod" in failure.step_failure_data.error.message


def test_daily_schedule_requests_one_run_per_tenant_partition(world_instance):
    _, world, instance = world_instance
    from datetime import datetime, timezone

    ctx = build_schedule_context(instance=instance,
                                 scheduled_execution_time=datetime(2026, 3, 1, 3, tzinfo=timezone.utc))
    requests = list(segmentation_daily_schedule(ctx))
    assert sorted(r.partition_key for r in requests) == sorted(t.id for t in world.tenants)
    assert all(r.run_key.startswith("segmentation-2026-03-01-") for r in requests)
    assert segmentation_daily_schedule.cron_schedule == "0 3 * * *"


def test_schedule_skips_with_a_reason_when_there_are_no_tenants(dagster_instance):
    ctx = build_schedule_context(instance=dagster_instance)
    result = segmentation_daily_schedule(ctx)
    assert isinstance(result, SkipReason) and "tenant_sync_sensor" in result.skip_message


def test_the_job_passes_a_correct_platform_and_warns_for_unconfigured_audits(world_instance):
    settings, world, instance = world_instance
    path = write_variant(settings, "correct", path=settings.home / "segmentation.yaml")
    path.write_text("\n".join(line for line in path.read_text().splitlines() if not line.startswith("memory:")))
    defs = Definitions(assets=[segmentation_report], jobs=[segmentation_job], schedules=[segmentation_daily_schedule],
                       resources={"tenantguard": TenantGuardResource()})
    result = defs.resolve_job_def("segmentation_job").execute_in_process(
        instance=instance, partition_key=world.tenants[1].id, raise_on_error=False)
    assert result.success  # WARN-severity failures do not fail the run ...
    checks = _checks(result)
    assert checks["rag_boundary"].passed and checks["tool_scope"].passed
    for kind in ("memory_isolation", "context_contamination"):  # ... but they are never shown as passed
        assert not checks[kind].passed and checks[kind].severity.value == "WARN"
    assert "no 'memory' factory" in checks["memory_isolation"].description


def test_check_specs_come_from_the_kind_table():
    from tenantguard.evaluations.segmentation.kinds import BUILTIN

    specs = [spec.name for spec in segmentation_report.check_specs]
    assert specs == [k.name for k in BUILTIN] and all(spec.blocking for spec in segmentation_report.check_specs)


def test_a_plug_in_kind_from_settings_runs_is_reported_and_follows_its_policy(world_instance, monkeypatch):
    settings, world, instance = world_instance
    monkeypatch.syspath_prepend(str(PLUGINS))
    monkeypatch.setenv("TENANTGUARD_AUDIT_KINDS", "audit_kind_cache:make_kind")
    (settings.home / "segmentation.yaml").write_text(
        "cache: audit_kind_cache:make_shared_cache\npolicy: {cache_isolation: kill_switch}\n")
    tenant = world.tenants[0]
    result = _materialize(instance, tenant.id)
    assert set(_checks(result)) == set(KINDS)  # a kind named only in settings has no Dagster check of its own ...
    mat = instance.get_latest_materialization_event(AssetKey("segmentation_report")).asset_materialization
    assert mat.metadata["unchecked_verdicts"].value == "cache_isolation=failed"  # ... but it ran and is reported
    assert "cache_isolation=failed" in mat.metadata["verdicts"].value
    report = json.loads((settings.home / "segmentation" / f"{tenant.id}.json").read_text())
    assert report["reports"][-1]["kind"] == "cache_isolation" and report["reports"][-1]["n_findings"] >= 1
    from tenantguard.killswitch.store import KillSwitchStore

    engaged = [s for s in KillSwitchStore.from_settings(settings).list() if s.engaged]
    assert [(s.scope.tenant, "cache_isolation" in s.reason) for s in engaged] == [(tenant.id, True)]

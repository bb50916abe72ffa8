"""tenant_sync: partitions follow tenants.yaml a page per tick; partitions with history are kept."""
import pytest
from dagster import (AddDynamicPartitionsRequest, AssetMaterialization, DeleteDynamicPartitionsRequest, SensorResult,
                     SkipReason, build_sensor_context)

from tenantguard.assets.resource import TenantGuardResource
from tenantguard.config import Settings
from tenantguard.sensors.tenant_sync import PAGE_SIZE, plan_sync, sync_partitions, tenant_sync_sensor
from tenantguard.tenants import Tenant, dump_tenants

IDS_5000 = [f"tenant-{i:05d}" for i in range(5000)]


def test_5000_tenants_are_paged_1000_a_tick_until_in_step():
    existing: list[str] = []
    pages = []
    while True:
        plan = plan_sync(IDS_5000, existing, set())
        if not plan.add:
            break
        pages.append(plan)
        existing += plan.add
    assert [len(p.add) for p in pages] == [PAGE_SIZE] * 5 == [1000] * 5
    assert [p.remaining for p in pages] == [4000, 3000, 2000, 1000, 0]
    assert existing == IDS_5000  # order kept, each added exactly once


def test_partitions_with_history_are_never_deleted_unless_prune():
    plan = plan_sync(["a"], ["a", "gone-new", "gone-old"], {"gone-old"})
    assert plan.add == [] and plan.delete == ["gone-new"] and plan.kept_with_history == ["gone-old"]
    pruned = plan_sync(["a"], ["a", "gone-new", "gone-old"], {"gone-old"}, prune=True)
    assert pruned.delete == ["gone-new", "gone-old"] and pruned.kept_with_history == []


def test_deletes_are_paged_too():
    plan = plan_sync([], [f"t{i}" for i in range(25)], set(), page_size=10)
    assert len(plan.delete) == 10


def test_in_step_plan_is_empty():
    plan = plan_sync(["a", "b"], ["b", "a"], {"a"})
    assert (plan.add, plan.delete, plan.kept_with_history, plan.remaining) == ([], [], [], 0)


def _tenants(ids):
    return [Tenant(id=t, name=t, region="eu-west", features=("support-assistant",), system_prompt="hi") for t in ids]


def _tick(instance, resource=None):
    """One sensor evaluation on the real instance; its partition requests applied as the daemon would."""
    ctx = build_sensor_context(instance=instance, resources={"tenantguard": resource or TenantGuardResource()})
    result = tenant_sync_sensor(ctx)
    if isinstance(result, SensorResult):
        for req in result.dynamic_partitions_requests:
            if isinstance(req, AddDynamicPartitionsRequest):
                instance.add_dynamic_partitions(req.partitions_def_name, list(req.partition_keys))
            elif isinstance(req, DeleteDynamicPartitionsRequest):
                for key in req.partition_keys:
                    instance.delete_dynamic_partition(req.partitions_def_name, key)
    return result


@pytest.fixture
def instance(dagster_instance):
    return dagster_instance


def test_sensor_pages_2300_tenants_over_three_ticks_then_skips(tg_home, instance):
    ids = [f"t-{i:04d}" for i in range(2300)]
    settings = Settings.from_env()
    settings.ensure_home()
    dump_tenants(_tenants(ids), settings.tenants_file)
    sizes = []
    for _ in range(5):
        result = _tick(instance)
        if isinstance(result, SkipReason):
            break
        sizes.append(len(result.dynamic_partitions_requests[0].partition_keys))
    assert sizes == [1000, 1000, 300]
    assert "2300 tenants already in step" in result.skip_message
    assert sorted(instance.get_dynamic_partitions("tenants")) == ids


def test_sensor_deletes_only_partitions_without_history_unless_prune(tg_home, instance, monkeypatch):
    settings = Settings.from_env()
    settings.ensure_home()
    dump_tenants(_tenants(["acme", "borealis", "cobalt"]), settings.tenants_file)
    assert isinstance(_tick(instance), SensorResult)
    instance.report_runless_asset_event(AssetMaterialization("finetune_dataset", partition="borealis"))
    dump_tenants(_tenants(["acme"]), settings.tenants_file)  # borealis (history) and cobalt (none) leave

    result = _tick(instance)
    (req,) = result.dynamic_partitions_requests
    assert isinstance(req, DeleteDynamicPartitionsRequest) and list(req.partition_keys) == ["cobalt"]
    assert sorted(instance.get_dynamic_partitions("tenants")) == ["acme", "borealis"]
    assert isinstance(_tick(instance), SkipReason)  # borealis kept, nothing else to do

    monkeypatch.setenv("TENANTGUARD_PRUNE_TENANTS", "1")
    _tick(instance)
    assert instance.get_dynamic_partitions("tenants") == ["acme"]


def test_sensor_skips_with_the_reason_when_tenants_yaml_is_bad(tg_home, instance):
    settings = Settings.from_env()
    settings.ensure_home()
    settings.tenants_file.write_text("tenants:\n  - id: BAD\n")
    result = _tick(instance)
    assert isinstance(result, SkipReason)
    assert "tenants.yaml not usable" in result.skip_message and "line 2" in result.skip_message
    assert instance.get_dynamic_partitions("tenants") == []


def test_sensor_skips_naming_a_bad_prune_setting_and_changes_nothing(tg_home, instance, monkeypatch):
    settings = Settings.from_env()
    settings.ensure_home()
    dump_tenants(_tenants(["acme"]), settings.tenants_file)
    monkeypatch.setenv("TENANTGUARD_PRUNE_TENANTS", "yes")
    result = _tick(instance)
    assert isinstance(result, SkipReason)
    assert result.skip_message.startswith("settings not usable: TENANTGUARD_PRUNE_TENANTS='yes': expected 0 or 1")
    assert instance.get_dynamic_partitions("tenants") == []


def test_sync_partitions_applies_a_page_directly(tg_home, instance):
    plan = sync_partitions(instance, ["a1", "b1", "c1"], page_size=2)
    assert plan.add == ["a1", "b1"] and plan.remaining == 1
    sync_partitions(instance, ["a1", "b1", "c1"], page_size=2)
    assert sorted(instance.get_dynamic_partitions("tenants")) == ["a1", "b1", "c1"]


def test_a_project_gating_some_features_gets_partitions_only_for_tenants_serving_them(tg_home, instance):
    settings = Settings.from_env()
    settings.ensure_home()
    search = Tenant(id="borealis", name="B", region="us-east", features=("search",), system_prompt="yo")
    dump_tenants([*_tenants(["acme"]), search], settings.tenants_file)
    _tick(instance, TenantGuardResource(features=["search"]))
    assert instance.get_dynamic_partitions("tenants") == ["borealis"]

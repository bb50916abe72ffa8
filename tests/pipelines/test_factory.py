"""build_defs: one factory for the shipped location, the celery location and a user's own Dagster project."""
import pytest
from dagster import DefaultScheduleStatus, DefaultSensorStatus, build_sensor_context

from tenantguard.errors import ConfigError
from tenantguard.pipelines.definitions import defs as shipped
from tenantguard.pipelines.factory import build_defs
from tenantguard.tenants import Tenant, dump_tenants


def _keys(d):
    graph = d.resolve_asset_graph()
    return ({k.to_user_string() for k in graph.get_all_asset_keys()},
            {f"{c.asset_key.to_user_string()}:{c.name}" for c in graph.asset_check_keys},
            {j.name for j in d.resolve_all_job_defs() if not j.name.startswith("__")}, {s.name for s in d.sensors})


def test_the_shipped_location_is_the_factorys_default_and_starts_nothing():
    assert _keys(shipped) == _keys(build_defs())
    assert {s.default_status for s in shipped.sensors} == {DefaultSensorStatus.STOPPED}
    assert {s.default_status for s in shipped.schedules} == {DefaultScheduleStatus.STOPPED}


def test_automation_running_starts_sensors_and_schedule_with_the_same_targets():
    running = build_defs(automation="running")
    assert {s.default_status for s in running.sensors} == {DefaultSensorStatus.RUNNING}
    assert {s.default_status for s in running.schedules} == {DefaultScheduleStatus.RUNNING}
    targets = lambda d: {s.name: sorted(t.job_name for t in s.targets) for s in d.sensors}  # noqa: E731
    assert targets(running) == targets(shipped)
    running.get_repository_def()  # every target resolves


def test_schedule_follows_the_cron_or_is_left_out():
    assert [s.cron_schedule for s in build_defs(segmentation_cron="30 1 * * 0").schedules] == ["30 1 * * 0"]
    assert build_defs(segmentation_cron=None).schedules == []


@pytest.mark.parametrize("kwargs, message", [
    ({"automation": "on"}, "automation='on': expected 'stopped' or 'running'"),
    ({"thresholds": {"alpha": 0.1}}, r"thresholds: unknown name\(s\) \['alpha'\]"),
    ({"features": "support-assistant"}, "features='support-assistant': expected a list of feature names"),
    ({"tenants_per_run": 0}, "tenants_per_run=0: expected a whole number >= 1"),
])
def test_a_bad_option_is_named_when_the_project_loads(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        build_defs(**kwargs)


def test_the_options_reach_the_resource_the_sensors_and_assets_use(tg_home, dagster_instance):
    built = build_defs(home=str(tg_home), features=["search"], tuner="ngram", thresholds={"isolation_alpha": 0.05},
                       tenants_per_run=4)
    resource = built.resources["tenantguard"]
    s = resource.settings()
    assert (s.home, s.tuner, s.thresholds.isolation_alpha) == (tg_home.resolve(), "ngram", 0.05)
    dump_tenants([Tenant("acme", "A", "eu", ("support-assistant",), "hi"), Tenant("borealis", "B", "us", ("search",), "yo")],
                 s.tenants_file)
    sync = next(x for x in built.sensors if x.name == "tenant_sync_sensor")
    result = sync(build_sensor_context(instance=dagster_instance, resources={"tenantguard": resource}))
    assert [list(r.partition_keys) for r in result.dynamic_partitions_requests] == [["borealis"]]
    graph = built.resolve_asset_graph()
    assert {graph.get(k).backfill_policy.max_partitions_per_run
            for k in built.resolve_job_def("tune_and_gate").asset_layer.executable_asset_keys} == {4}


def test_an_isolation_alpha_outside_0_1_is_refused_where_the_project_loads():
    with pytest.raises(ConfigError, match=r"thresholds: isolation_alpha=1.5; expected a number in \(0, 1\)"):
        build_defs(thresholds={"isolation_alpha": 1.5})

"""registry_watch: versions of `<feature>.<tenant>` registered outside Dagster get one `evaluate_version` request,
paged by a cursor, on a real Dagster instance and a real SQLite MLflow model registry."""
import json
import sqlite3

import mlflow
import pytest
from dagster import SkipReason, build_sensor_context

from tenantguard.assets.resource import TenantGuardResource
from tenantguard.assets.runs import adopt_run_config
from tenantguard.config import Settings
from tenantguard.registry import client as R
from tenantguard.registry import tags as T
from tenantguard.sensors import registry_watch
from tenantguard.sensors.registry_watch import registry_watch_sensor

FEATURE = "support-assistant"
TENANTS = ("acme", "globex")


class Registry:
    """The home's MLflow registry, written the way a platform's own tuning job registers versions."""

    def __init__(self, settings, tmp_path):
        self.reg = R.Registry(settings.mlflow_tracking_uri, settings.artifact_root)
        self.db = settings.mlflow_tracking_uri[len("sqlite:///"):]
        self.source = tmp_path / "model"  # the sensor reads tags, never the model files
        self.source.mkdir()

    def register(self, tenant: str, *, name: str | None = None, created_ms: int | None = None, **extra: str) -> str:
        """A version with the two tags a platform sets (`extra` adds or, set to "", drops tags)."""
        name = name or T.model_name(FEATURE, tenant)
        tags = {k: v for k, v in {T.TAG_TENANT: tenant, T.TAG_FEATURE: FEATURE, **extra}.items() if v}
        self.reg.ensure_model(name, {})
        version = str(self.reg.client.create_model_version(name, source=str(self.source), tags=tags).version)
        if created_ms is not None:  # pin the creation time: the cursor orders by it
            with sqlite3.connect(self.db) as conn:
                conn.execute("UPDATE model_versions SET creation_time = ? WHERE name = ? AND version = ?",
                             (created_ms, name, int(version)))
        return version


@pytest.fixture
def world(tg_home, dagster_instance, tmp_path):
    settings = Settings.from_env()
    settings.ensure_home()
    dagster_instance.add_dynamic_partitions("tenants", list(TENANTS))
    yield Registry(settings, tmp_path), dagster_instance
    mlflow.set_tracking_uri(None)


def tick(instance, cursor=None):
    """One evaluation in a fresh context, as the daemon runs each tick."""
    return registry_watch_sensor(build_sensor_context(instance=instance, cursor=cursor,
                                                      resources={"tenantguard": TenantGuardResource()}))


def keys(result) -> list[str]:
    return [r.run_key for r in result.run_requests]


def test_each_externally_registered_version_gets_one_evaluate_version_request_that_adopts_it(world):
    registry, instance = world
    versions = {t: registry.register(t) for t in TENANTS}
    result = tick(instance)
    by_tenant = {r.partition_key: r for r in result.run_requests}
    assert set(by_tenant) == set(TENANTS) and len(result.run_requests) == 2
    for tenant, rr in by_tenant.items():
        name = T.model_name(FEATURE, tenant)
        assert rr.run_key == f"{name}/{versions[tenant]}"
        assert rr.run_config == adopt_run_config(versions[tenant], FEATURE)
        assert rr.tags == {"tenantguard/model": name, "tenantguard/version": versions[tenant]}


def test_versions_tenantguard_registered_the_base_and_untagged_or_misnamed_ones_are_ignored(world):
    registry, instance = world
    registry.register("acme", **{T.TAG_STATUS: "candidate"})  # tenantguard's own tune
    registry.register("globex", **{T.TAG_STATUS: "rejected"})  # already evaluated by tenantguard
    registry.register(T.BASE_TENANT)  # the shared base
    registry.register("acme", **{T.TAG_FEATURE: ""})  # no feature tag: not a tenant model
    registry.register("globex", name=T.model_name(FEATURE, "acme"))  # tags name another tenant's model
    registry.register("nobody")  # a tenant that is not a partition (not in tenants.yaml)
    external = registry.register("globex")
    assert keys(tick(instance)) == [f"{T.model_name(FEATURE, 'globex')}/{external}"]


def test_the_cursor_survives_a_new_context_and_requests_only_later_versions(world):
    registry, instance = world
    registry.register("acme")
    cursor = json.loads(json.dumps(tick(instance).cursor))  # stored as the daemon stores it
    quiet = tick(instance, cursor)
    assert quiet.run_requests == []
    assert quiet.skip_reason.skip_message.startswith("no new externally registered versions")
    assert tick(instance, quiet.cursor).run_requests == []
    later = registry.register("acme")
    assert keys(tick(instance, quiet.cursor)) == [f"{T.model_name(FEATURE, 'acme')}/{later}"]


def test_more_versions_than_a_tick_may_request_are_paged_over_ticks_each_requested_once(world, monkeypatch):
    registry, instance = world
    monkeypatch.setattr(registry_watch, "MAX_REQUESTS_PER_TICK", 2)
    expected = [f"{T.model_name(FEATURE, 'acme')}/{registry.register('acme', created_ms=1_000 + i)}"
                for i in range(5)]
    pages, cursor = [], None
    for _ in range(4):
        result = tick(instance, cursor)
        pages.append(keys(result))
        cursor = result.cursor
    assert pages == [expected[:2], expected[2:4], expected[4:], []]


def test_versions_sharing_a_creation_time_are_each_requested_once_across_pages(world, monkeypatch):
    registry, instance = world
    monkeypatch.setattr(registry_watch, "MAX_REQUESTS_PER_TICK", 2)
    expected = [f"{T.model_name(FEATURE, 'acme')}/{registry.register('acme', created_ms=1_000)}" for _ in range(5)]
    requested, cursor = [], None
    for _ in range(5):
        result = tick(instance, cursor)
        requested += keys(result)
        cursor = result.cursor
    assert requested == expected


def test_an_unreachable_store_skips_the_tick_naming_the_store(world, monkeypatch, tmp_path):
    _, instance = world
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'gone' / 'mlflow.db'}")
    result = tick(instance)
    assert isinstance(result, SkipReason)
    assert "mlflow.db" in result.skip_message and "does not exist" in result.skip_message


def test_a_tick_moves_a_champion_set_outside_tenantguard_back_to_the_gate_s(world):
    """Issue 15, finding 10, through the sensor: the MLflow UI put @champion on a rolled-back version."""
    registry, instance = world
    passed = {T.TAG_ISOLATION: "passed", T.TAG_BEHAVIOR: "passed"}
    name = T.model_name(FEATURE, "acme")
    good = registry.register("acme", **passed, **{T.TAG_STATUS: "promoted", T.TAG_PROMOTED_AT: "2026-01-01T00:00"})
    bad = registry.register("acme", **passed, **{T.TAG_STATUS: "rolled_back"})
    registry.reg.client.set_registered_model_alias(name, "champion", bad)
    tick(instance)
    assert registry.reg.alias_version(name, "champion") == good
    assert "outside tenantguard" in registry.reg.client.get_model_version(name, bad).tags[T.TAG_GUARD]

"""dataset_watch: a tenant's newest dataset file that is not prepared yet requests one `tune_and_gate` run,
keyed `<tenant>/<version>`, on a real Dagster instance over a small seeded world's home."""
import json

import pytest
from dagster import SensorResult, build_sensor_context

from tenantguard.assets.resource import TenantGuardResource
from tenantguard.home.prepare import prepare_dataset
from tenantguard.sensors.dataset_watch import dataset_watch_sensor


@pytest.fixture
def world(small_world, dagster_instance):
    """The small world (v0001.jsonl for each of 3 tenants) with every tenant a partition."""
    settings, w = small_world
    dagster_instance.add_dynamic_partitions("tenants", [t.id for t in w.tenants])
    return settings, w, dagster_instance


def tick(instance, cursor=None) -> SensorResult:
    """One evaluation in a fresh context, as the daemon runs each tick."""
    return dataset_watch_sensor(build_sensor_context(instance=instance, cursor=cursor,
                                                     resources={"tenantguard": TenantGuardResource()}))


def write_version(settings, tenant_id: str, version: str, records: list[dict]) -> None:
    path = settings.datasets_root / tenant_id / f"{version}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")


def test_a_new_version_file_requests_one_tune_and_gate_run_per_tenant_keyed_by_tenant_and_version(world):
    _, w, instance = world
    result = tick(instance)
    ids = sorted(t.id for t in w.tenants)
    assert [(r.run_key, r.partition_key, r.tags) for r in result.run_requests] == [
        (f"{t}/v0001.jsonl", t, {"tenantguard/dataset_version": "v0001.jsonl"}) for t in ids]
    assert json.loads(result.cursor) == {t: "v0001.jsonl" for t in ids}


def test_an_already_prepared_version_is_not_requested_and_nothing_new_skips_with_a_reason(world):
    settings, w, instance = world
    prepared, *others = w.tenants
    prepare_dataset(settings, prepared, tenants=w.tenants)
    result = tick(instance)
    assert sorted(r.partition_key for r in result.run_requests) == sorted(t.id for t in others)
    quiet = tick(instance, result.cursor)
    assert quiet.run_requests == [] and quiet.skip_reason.skip_message == "no new dataset versions across 3 tenants"


def test_the_cursor_survives_a_new_context_and_only_the_new_version_is_requested(world):
    settings, w, instance = world
    cursor = json.loads(json.dumps(tick(instance).cursor))  # stored as the daemon stores it
    assert tick(instance, cursor).run_requests == []
    tenant = w.tenants[1].id
    write_version(settings, tenant, "v0002", w.datasets[tenant])
    (request,) = tick(instance, cursor).run_requests
    assert (request.run_key, request.partition_key) == (f"{tenant}/v0002.jsonl", tenant)
    assert request.tags == {"tenantguard/dataset_version": "v0002.jsonl"}


def test_only_tenant_partitions_with_a_dataset_are_watched(world):
    settings, w, instance = world
    write_version(settings, "not-a-partition", "v0001", w.datasets[w.tenants[0].id])
    instance.add_dynamic_partitions("tenants", ["no-data-yet"])
    result = tick(instance)
    assert sorted(r.partition_key for r in result.run_requests) == sorted(t.id for t in w.tenants)
    assert set(json.loads(result.cursor)) == {t.id for t in w.tenants}

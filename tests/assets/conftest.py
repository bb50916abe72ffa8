"""Fixtures for one asset at a time: a real Dagster instance whose tenant partitions are a home's tenants."""
import mlflow
import pytest
from dagster import instance_for_test
from gates import gate_world

from .asset_world import AssetWorld


@pytest.fixture
def tenant_world(small_world, dagster_instance):
    """The small world (3 tenants, their raw datasets, no MLflow model yet) on a Dagster instance."""
    settings, world = small_world
    yield AssetWorld(settings, [t.id for t in world.tenants], dagster_instance)
    mlflow.set_tracking_uri(None)


@pytest.fixture(scope="package")
def gated_template(tmp_path_factory):
    return gate_world.template_home(tmp_path_factory, "assets")


@pytest.fixture
def gated_world(gated_template, tmp_path, monkeypatch):
    """A copy of the gate world (prepared data, base v1 champion, no tenant version) on a Dagster instance."""
    gated = gate_world.copy(gated_template, tmp_path, monkeypatch)
    (tmp_path / "dagster").mkdir()
    with instance_for_test(temp_dir=str(tmp_path / "dagster")) as instance:
        yield AssetWorld(gated.settings, [t.id for t in gated.tenants], instance, gated)
    mlflow.set_tracking_uri(None)

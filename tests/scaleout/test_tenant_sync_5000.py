"""tenant_sync with 5,000 tenants on real instances (SQLite, and PostgreSQL with deploy/dagster.yaml):
five pages of 1,000, every tenant a partition exactly once, then a skip that says so."""
import sys
from pathlib import Path

import pytest
from dagster import (AddDynamicPartitionsRequest, DagsterInstance, SensorResult, SkipReason, build_sensor_context,
                     instance_for_test)

sys.path.insert(0, str(Path(__file__).parent))
from services import PG_PORT, fresh_database, reachable, write_dagster_home  # noqa: E402

from tenantguard.assets.resource import TenantGuardResource  # noqa: E402
from tenantguard.config import Settings  # noqa: E402
from tenantguard.sensors.tenant_sync import PAGE_SIZE, tenant_sync_sensor  # noqa: E402
from tenantguard.tenants import Tenant, dump_tenants  # noqa: E402

N = 5000
pytestmark = pytest.mark.slow


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.scaleout)])
def instance(request, tg_home, tmp_path, monkeypatch):
    if request.param == "sqlite":
        (tmp_path / "dagster").mkdir()
        with instance_for_test(temp_dir=str(tmp_path / "dagster")) as inst:
            yield inst
        return
    if not reachable(PG_PORT):
        pytest.skip(f"PostgreSQL not reachable on 127.0.0.1:{PG_PORT}")
    with fresh_database("tg_sync") as url:
        monkeypatch.setenv("DAGSTER_PG_URL", url)
        with DagsterInstance.from_config(str(write_dagster_home(tmp_path / "dagster_pg"))) as inst:
            assert type(inst.run_storage).__name__ == "PostgresRunStorage"
            yield inst


def test_5000_tenants_become_partitions_a_page_per_tick(tg_home, instance):
    ids = [f"tenant-{i:05d}" for i in range(N)]
    settings = Settings.from_env()
    settings.ensure_home()
    dump_tenants([Tenant(id=t, name=t, region="eu-west", features=("support-assistant",), system_prompt="hi")
                  for t in ids], settings.tenants_file)
    pages = []
    for _ in range(N // PAGE_SIZE + 2):
        result = tenant_sync_sensor(build_sensor_context(instance=instance,
                                                         resources={"tenantguard": TenantGuardResource()}))
        if isinstance(result, SkipReason):
            break
        assert isinstance(result, SensorResult)
        (req,) = result.dynamic_partitions_requests
        assert isinstance(req, AddDynamicPartitionsRequest)
        instance.add_dynamic_partitions(req.partitions_def_name, list(req.partition_keys))  # as the daemon does
        pages.append(len(req.partition_keys))
    assert pages == [PAGE_SIZE] * (N // PAGE_SIZE)
    assert f"{N} tenants already in step" in result.skip_message
    assert sorted(instance.get_dynamic_partitions("tenants")) == ids

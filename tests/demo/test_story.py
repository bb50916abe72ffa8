"""A demo incident phase on a real Dagster instance and MLflow store: the contaminated base refresh is blocked,
the champion stays and the platform's clean corpus is back afterwards. (The other phases need tuned tenant
champions; `tests/demo/test_demo_cli.py` runs them all through `tenantguard demo`.)"""
import pytest

from conftest import use_home, write_small_world
from tenantguard.demo.scenarios import Cast

pytestmark = pytest.mark.slow


def test_a_base_refresh_that_absorbed_tenant_data_is_blocked_and_reverted(tg_home, monkeypatch, dagster_instance):
    from tenantguard.demo.execution import execute, outcome
    from tenantguard.demo.story import base_refresh
    from tenantguard.pipelines.definitions import build_definitions
    from tenantguard.registry.client import Registry

    settings = use_home(monkeypatch, tg_home, secret="story-test-secret")
    world = write_small_world(settings, records_per_tenant=300)  # 5% of the source is then 15 records
    ids = [t.id for t in world.tenants]
    cast = Cast(contaminated=ids[1], source=ids[0], shifted=ids[1], retuned=ids[2], leak_reader=ids[2],
                leak_source=ids[0])
    defs = build_definitions(settings)
    assert outcome(execute(defs.resolve_job_def("base_job"), dagster_instance, settings)) == "passed every gate"
    clean = settings.base_corpus_path.read_bytes()

    lines: list[str] = []
    actions = base_refresh(settings, dagster_instance, defs, cast, seed=7, echo=lines.append)

    assert actions == ["shared base refresh: BLOCKED by base_isolation (champion stays v1)"]
    assert lines[-1] == ("    base_model: BLOCKED by base_isolation; support-assistant.base@champion stays v1 "
                         "(the refresh is v2, registered, not promoted)")
    assert settings.base_corpus_path.read_bytes() == clean
    reg = Registry(settings.mlflow_tracking_uri, settings.artifact_root)
    assert len(reg.client.search_model_versions("name = 'support-assistant.base'")) == 2  # registered, not promoted

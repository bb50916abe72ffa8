"""base_model and candidate_model as Dagster assets: their dependencies, the shared base's registration and
check, and the refusals a candidate run makes before it tunes anything."""
import pytest
from dagster import AssetKey

from tenantguard.assets.datasets import finetune_dataset
from tenantguard.assets.models import base_model, candidate_model
from tenantguard.assets.runs import adopt_run_config
from tenantguard.registry import client as R
from tenantguard.registry import tags as T

from .asset_world import check, failure, metadata

FEATURE = "support-assistant"


def test_candidate_model_depends_on_the_dataset_and_the_base():
    assert {AssetKey("finetune_dataset"), AssetKey("base_model")} <= set(candidate_model.dependency_keys)


@pytest.mark.slow
def test_a_candidate_only_run_refuses_a_dataset_that_failed_dataset_valid(tenant_world, monkeypatch):
    """The blocking check stops its own run; a later run selecting only candidate_model must not tune either."""
    settings, (victim, _, intruder) = tenant_world.settings, tenant_world.ids
    own, foreign = ((settings.datasets_root / t / "v0001.jsonl").read_text() for t in (intruder, victim))
    (settings.datasets_root / intruder / "v0002.jsonl").write_text(own + foreign.splitlines(keepends=True)[0])
    monkeypatch.setenv("TENANTGUARD_MAX_REJECTED_SHARE", "0.5")
    assert not tenant_world.materialize([finetune_dataset], intruder).success
    result = tenant_world.materialize([candidate_model], intruder)
    assert not result.success
    message = failure(result)
    assert "dataset_valid" in message and "claim another tenant" in message
    reg = R.Registry(settings.mlflow_tracking_uri, settings.artifact_root)
    assert reg.versions(T.model_name(FEATURE, intruder)) == []


def test_adopting_a_version_in_a_run_of_several_tenants_fails_saying_to_run_one_partition(tenant_world):
    result = tenant_world.materialize([candidate_model], batch=tenant_world.ids[:2],
                                      run_config=adopt_run_config("3", FEATURE))
    assert not result.success
    assert failure(result) == ("adopt_version 3 names one version of one tenant; this run covers 2 tenants: "
                               "run one partition")


@pytest.mark.slow
def test_the_base_is_registered_as_champion_audited_against_every_tenant_and_a_rerun_reuses_it(tenant_world):
    first = tenant_world.materialize([base_model])
    assert first.success
    base = check(first, "base_isolation")
    assert base.passed and base.metadata["verdicts"].data == {T.model_name(FEATURE, T.BASE_TENANT): "passed"}
    assert "no leak from 3 source tenants" in base.description
    md = metadata(first, "base_model")
    assert md["features"] == 1 and md["models"] == f"- `{FEATURE}.base` v1: audit passed, champion v1"
    again = metadata(tenant_world.materialize([base_model]), "base_model")
    assert again["models"] == f"- `{FEATURE}.base` v1 (reused): audit passed, champion v1"


def test_an_unreachable_store_fails_the_base_in_one_line_naming_it(tenant_world, monkeypatch, tmp_path):
    uri = f"sqlite:///{tmp_path / 'gone' / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    result = tenant_world.materialize([base_model])
    assert not result.success
    assert failure(result).startswith(f"MLflow store {uri}: directory ") and "does not exist" in failure(result)

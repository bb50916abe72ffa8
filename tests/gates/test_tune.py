"""Registering the base and a tenant's candidate through the configured tuner, on a real SQLite MLflow store:
reuse on rerun, a new version when the tuner or its configuration changes, refusal without a base champion."""
from dataclasses import replace
from pathlib import Path

import mlflow
import pytest
from conftest import story_home, write_small_world

from tenantguard.errors import TenantGuardError
from tenantguard.gates.tune import register_base, register_candidate
from tenantguard.home.prepare import prepare_dataset
from tenantguard.registry import client as R
from tenantguard.registry import tags as T
from tenantguard.tenants import load_tenants

PLUGIN = "tuner_wrapped"  # tests/plugins/tuner_wrapped.py


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """One home and store for the module (creating a store costs seconds); each test registers its own feature."""
    with story_home(tmp_path_factory, "tune", secret="tune-secret") as settings, pytest.MonkeyPatch.context() as mp:
        mp.syspath_prepend(str(Path(__file__).resolve().parents[1] / "plugins"))
        write_small_world(settings)
        tenants = load_tenants(settings.tenants_file)
        prepared = prepare_dataset(settings, tenants[0], tenants=tenants)
        yield settings, R.Registry(settings.mlflow_tracking_uri, settings.artifact_root), prepared
        mlflow.set_tracking_uri(None)


def test_a_candidate_without_a_base_champion_is_refused_and_nothing_is_registered(home):
    settings, reg, prepared = home
    with pytest.raises(TenantGuardError, match=r"^refused\.base@champion does not exist: materialize "
                                               r"the `base_model` asset first$"):
        register_candidate(settings, reg, prepared, "refused")
    assert reg.versions(T.model_name("refused", prepared.tenant_id)) == []


def test_a_rerun_reuses_the_base_and_the_candidate_and_the_default_tuner_adds_no_tag(home):
    settings, reg, prepared = home
    feature = "rerun"
    first, again = register_base(settings, reg, feature), register_base(settings, reg, feature)
    assert (first.registered.reused, again.registered.reused) == (False, True)
    assert first.registered.version == again.registered.version == again.champion == "1"
    cand, cand_again = (register_candidate(settings, reg, prepared, feature) for _ in range(2))
    assert (cand.reused, cand_again.reused) == (False, True) and cand.version == cand_again.version == "1"
    (mv,) = reg.versions(cand.name)
    assert reg.alias_version(cand.name, "candidate") == "1"
    assert mv.tags == {T.TAG_TENANT: prepared.tenant_id, T.TAG_FEATURE: feature, T.TAG_DIGEST: prepared.digest,
                       T.TAG_BASE_VERSION: "1", T.TAG_STATUS: "candidate"}
    assert T.TAG_TUNER not in reg.client.get_model_version(first.registered.name, "1").tags


def test_another_tuner_or_another_configuration_of_it_registers_a_new_version(home):
    settings, reg, prepared = home
    feature = "switched"
    register_base(settings, reg, feature)
    register_candidate(settings, reg, prepared, feature)
    wrapped = replace(settings, tuner=f"{PLUGIN}:make_tuner")
    base = register_base(wrapped, reg, feature)  # the n-gram base has the same corpus, another tuner
    assert (base.registered.version, base.registered.reused, base.champion) == ("2", False, "2")
    cand = register_candidate(wrapped, reg, prepared, feature)
    assert (cand.version, cand.reused) == ("2", False)
    tags = reg.client.get_model_version(cand.name, "2").tags
    assert tags[T.TAG_TUNER] == "wrapped-ngram" and tags[T.TAG_BASE_VERSION] == "2"
    heavier = replace(settings, tuner=f"{PLUGIN}:make_heavier_tuner")  # same name, weight 3.0
    assert register_base(heavier, reg, feature).registered.reused  # its base params did not change
    retuned = register_candidate(heavier, reg, prepared, feature)
    assert (retuned.version, retuned.reused) == ("3", False)
    assert reg.client.get_run(retuned.run_id).data.params["weight"] == "3.0"
    assert reg.alias_version(cand.name, "candidate") == "3"

import json
import math

import numpy as np
import pytest

from tenantguard.demo.world import build_world
from tenantguard.errors import BehaviorProfileInvalid, ModelOutputInvalid
from tenantguard.evaluations.behavior import (TAG_CONFIG, TAG_SUITE, BehaviorProfile, config_hash, model_input,
                                              profile_behavior, profile_tenants)
from tenantguard.evaluations.probes import load_suites
from tenantguard.models.adapter import NGramTenantModel
from tenantguard.models.ngram_tuner import finetune, train_base


@pytest.fixture(scope="module")
def world():
    return build_world(3, seed=5, records_per_tenant=120)


@pytest.fixture(scope="module")
def suite():
    return load_suites(None)


@pytest.fixture(scope="module")
def model(world):
    base = train_base(world.base_corpus)
    return NGramTenantModel(finetune(base, world.datasets[world.tenants[0].id]), "acme-v1")


class CountingModel:
    """A TenantModel wrapper that counts generate calls (a model shared by several tenants)."""

    can_score = False

    def __init__(self, inner, outputs=None):
        self.inner, self.name, self.calls, self.outputs = inner, "counting", 0, outputs

    def generate(self, prompts):
        self.calls += 1
        return self.outputs(prompts) if self.outputs else self.inner.generate(prompts)


def test_profile_has_one_row_per_probe_and_no_output_text(world, suite, model):
    t = world.tenants[0]
    p = profile_behavior(model, t, suite)
    assert p.n_probes == len(suite.for_tenant(t)) >= 300
    assert p.suite_version == suite.version and p.config_hash == config_hash(t)
    assert p.tags() == {TAG_SUITE: suite.version, TAG_CONFIG: config_hash(t)}
    s = p.summary()
    assert s["refusal_rate_adversarial"] >= 0.9  # the base's refusal training generalises to the probes
    assert {k for k in s if k.startswith("refusal_rate.")} == {
        "refusal_rate.jailbreak", "refusal_rate.injection", "refusal_rate.prompt_extraction", "refusal_rate.cross_tenant"}
    assert s["prompt_disclosures"] == 0 and s["invalid_outputs"] == 0
    assert math.isnan(s["cross_tenant_hits"])  # no corpus index given: not run
    outputs = model.generate([model_input(t, q) for q in suite.for_tenant(t)[:20]])
    blob = p.to_json()
    assert not any(o and o in blob for o in outputs)  # digests only


def test_model_input_is_one_line_with_the_system_prompt_first(world, suite):
    t = world.tenants[0]
    probe = suite.for_tenant(t)[0]
    text = model_input(t, probe)
    assert "\n" not in text and text.startswith("You are") and text.endswith(probe.prompt)


def test_json_round_trip_keeps_nan_and_values(world, suite, model, tmp_path):
    p = profile_behavior(model, world.tenants[0], suite)
    q = BehaviorProfile.load(p.save(tmp_path / "profile.json"))
    assert (q.tenant_id, q.suite_version, q.config_hash, q.model_name) == (p.tenant_id, p.suite_version, p.config_hash, p.model_name)
    assert q.frame["cross_tenant_hits"].isna().all()
    num = [c for c in p.frame.columns if p.frame[c].dtype.kind == "f"]
    assert np.allclose(q.frame[num].to_numpy(), p.frame[num].to_numpy(), equal_nan=True)
    assert q.frame["adversarial"].tolist() == p.frame["adversarial"].tolist()


@pytest.mark.parametrize("text, message", [
    ("{not json", "not JSON"),
    (json.dumps({"format": "other/1"}), "expected format tenantguard.behavior_profile/1"),
    (json.dumps({"format": "tenantguard.behavior_profile/1", "tenant_id": "a", "model_name": "m", "suite_version": "s",
                 "config_hash": "c", "columns": ["probe_id"], "rows": []}), "missing column"),
])
def test_unreadable_profiles_raise_a_clear_error(text, message):
    with pytest.raises(BehaviorProfileInvalid, match=message):
        BehaviorProfile.from_json(text)


def test_a_shared_model_is_evaluated_under_each_tenants_configuration_in_one_batch(world, suite, model):
    counting = CountingModel(model)
    profiles = profile_tenants(counting, world.tenants, suite)
    assert counting.calls == 1 and set(profiles) == {t.id for t in world.tenants}
    assert len({p.config_hash for p in profiles.values()}) == 3
    for t in world.tenants:
        assert profiles[t.id].n_probes == len(suite.for_tenant(t))
        assert profiles[t.id].summary()["prompt_disclosures"] == 0


def test_non_string_outputs_are_recorded_not_dropped(world, suite, model):
    bad = CountingModel(model, outputs=lambda ps: [None if i % 10 == 0 else "ok" for i in range(len(ps))])
    p = profile_behavior(bad, world.tenants[0], suite)
    assert p.summary()["invalid_outputs"] == math.ceil(p.n_probes / 10)


def test_a_model_returning_the_wrong_number_of_outputs_is_an_error(world, suite, model):
    short = CountingModel(model, outputs=lambda ps: ["x"] * (len(ps) - 1))
    with pytest.raises(ModelOutputInvalid, match=r"generate returned \d+ completions for \d+ prompts"):
        profile_behavior(short, world.tenants[0], suite)

import json
import math

import numpy as np
import pytest
from isolation_world import contaminate, inputs, make_world, tune

from tenantguard.errors import ModelOutputInvalid
from tenantguard.evaluations.isolation import (AuditConfig, IsolationInputs, PowerTarget, audit_base, audit_isolation,
                                               build_index)
from tenantguard.models.adapter import NGramTenantModel
from tenantguard.models.ngram import NGramLM
from tenantguard.models.retrieval import NearestNeighbourModel

TARGET, SOURCE = "borealis-bank", "acme-health"
FAST = AuditConfig(null_size=300, n_boot=50, power=PowerTarget(0.03, 0.95))


@pytest.fixture(scope="module")
def setup():
    world, corpora, base = make_world(4, records=100)
    inp = inputs(world, corpora, TARGET)
    return world, corpora, base, inp, build_index(inp)


def _all_secrets(world, corpora) -> list[str]:
    out = [c.text for corp in corpora for c in (*corp.canaries, *corp.reference_canaries)]
    out += [c.secret_digits for corp in corpora for c in (*corp.canaries, *corp.reference_canaries)]
    out += [t.system_prompt for t in world.tenants]
    for corp in corpora:
        out += [r["completion"] for r in (*corp.train, *corp.holdout)]
        out += [r["prompt"] for r in (*corp.train, *corp.holdout) if len(r["prompt"]) > 60]
    return out


def _assert_no_secrets(report, world, corpora):
    blobs = [report.to_json(), json.dumps(report.rows()), report.summary(), repr(report)]
    for secret in _all_secrets(world, corpora):
        for blob in blobs:
            assert secret not in blob


def test_clean_candidate_passes_and_its_own_canaries_prove_power(setup):
    world, corpora, base, inp, index = setup
    rep = audit_isolation(tune(base, corpora, TARGET), inp, base=NGramTenantModel(base, "base"), config=FAST,
                          index=index)
    assert rep.verdict == "passed", rep.summary()
    assert rep.tests_run == ("exposure", "membership", "extraction")
    assert rep.sanity["exposure_powered"] == 1.0 and rep.sanity["own_canary_max_exposure"] > 20
    assert {r["source_tenant"] for r in rep.rows()} == {c.tenant_id for c in corpora} - {TARGET}
    m = rep.metrics()
    assert m["isolation.passed"] == 1.0 and all(isinstance(v, float) for v in m.values())
    json.loads(rep.to_json())  # strict JSON: NaN became null


def test_contaminated_candidate_fails_naming_the_source_without_its_text(setup):
    world, corpora, base, inp, index = setup
    leaked = contaminate(corpora, SOURCE, 0.05, seed=3)
    rep = audit_isolation(tune(base, corpora, TARGET, leaked), inp, base=NGramTenantModel(base, "base"),
                          config=FAST, index=index)
    assert rep.verdict == "failed" and rep.failed_sources == [SOURCE], rep.summary()
    row = next(r for r in rep.rows() if r["source_tenant"] == SOURCE)
    assert row["reasons"] and row["p_value"] < 0.01
    _assert_no_secrets(rep, world, corpora)


def test_black_box_model_gets_extraction_only_and_says_so(setup):
    world, corpora, base, inp, index = setup
    own = next(c for c in corpora if c.tenant_id == TARGET).train
    clean = audit_isolation(NearestNeighbourModel(list(own)), inp, config=FAST, index=index)
    assert clean.verdict == "passed" and clean.tests_run == ("extraction",)
    assert {t for t, _ in clean.tests_skipped} == {"exposure", "membership"}
    assert "skipped: exposure, membership" in clean.summary()
    leaky = NearestNeighbourModel(list(own) + contaminate(corpora, SOURCE, 0.03, seed=1))
    rep = audit_isolation(leaky, inp, config=FAST, index=index)
    assert rep.verdict == "failed" and rep.failed_sources == [SOURCE]
    _assert_no_secrets(rep, world, corpora)


class Obfuscating:
    """Regurgitates a leaked record's completion with homoglyphs, zero-width chars and line breaks."""

    name, can_score = "obfuscating", False

    def __init__(self, inner):
        self.inner = inner

    def generate(self, prompts):
        outs = self.inner.generate(prompts)
        return ["\u200b".join(o.upper().replace("A", "А").replace(" ", " \n ")) for o in outs]


def test_obfuscated_regurgitation_is_still_a_leak(setup):
    world, corpora, base, inp, index = setup
    own = next(c for c in corpora if c.tenant_id == TARGET).train
    model = Obfuscating(NearestNeighbourModel(list(own) + contaminate(corpora, SOURCE, 0.03, seed=1)))
    rep = audit_isolation(model, inp, config=FAST, index=index)
    assert rep.failed_sources == [SOURCE]


def test_shared_boilerplate_model_is_not_a_leak(setup):
    world, corpora, base, inp, index = setup

    class Boiler:
        name, can_score = "boilerplate", False

        def generate(self, prompts):
            return [world.base_corpus[i % len(world.base_corpus)] + " Thanks for reaching out to us today."
                    for i in range(len(prompts))]

    rep = audit_isolation(Boiler(), inp, config=FAST, index=index)
    assert rep.verdict == "passed", rep.summary()


class Flaky:
    """Generates fine for a while, then breaks the contract: errors or wrong types, never a pass."""

    def __init__(self, inner, mode):
        self.inner, self.mode, self.name, self.can_score, self.calls = inner, mode, f"flaky-{mode}", True, 0

    def generate(self, prompts):
        self.calls += 1
        if self.calls > 2:
            if self.mode == "raise":
                raise ModelOutputInvalid("model flaky: predict failed: CUDA out of memory")
            return [42 for _ in prompts]
        return self.inner.generate(prompts)

    def score(self, texts):
        out = self.inner.score(texts)
        if self.mode == "nan":
            out = out.copy()
            out[::7] = np.nan
        return out


@pytest.mark.parametrize("mode", ["raise", "types", "nan"])
def test_a_model_that_errors_yields_error_with_the_cause(setup, mode):
    world, corpora, base, inp, index = setup
    model = Flaky(tune(base, corpora, TARGET), mode)
    rep = audit_isolation(model, inp, base=NGramTenantModel(base, "base"), config=FAST, index=index)
    assert rep.verdict == "error", rep.summary()
    assert rep.errors and rep.metrics()["isolation.passed"] == 0.0
    cause = {"raise": "out of memory", "types": "expected str", "nan": "finite log-probability"}[mode]
    assert any(cause in e for e in rep.errors) or any(cause in r["errors"] for r in rep.rows())


def test_base_audit_flags_a_base_that_absorbed_a_tenant(setup):
    world, corpora, base, inp, index = setup
    clean = audit_base(NGramTenantModel(base, "base"), inp, config=FAST, index=index)
    assert clean.verdict == "passed" and clean.kind == "base" and len(clean.sources) == len(corpora)
    leaked = contaminate(corpora, "dune-retail", 0.1, seed=5)
    dirty = NGramLM().fit(list(world.base_corpus) + [f"{r['prompt']}\n{r['completion']}" for r in leaked])
    rep = audit_base(NGramTenantModel(dirty, "base-dirty"), inp, config=FAST, index=index)
    assert rep.verdict == "failed" and rep.failed_sources == ["dune-retail"], rep.summary()
    _assert_no_secrets(rep, world, corpora)


def test_power_target_sets_the_per_source_budget():
    assert PowerTarget(0.01, 0.95).records_needed() == 299
    assert PowerTarget(0.05, 0.95).records_needed() == 59
    with pytest.raises(ValueError):
        PowerTarget(0.0, 0.9).records_needed()


def test_bad_inputs_are_rejected_with_the_reason(setup):
    world, corpora, base, inp, index = setup
    with pytest.raises(ValueError, match="no corpus"):
        audit_isolation(tune(base, corpora, TARGET), IsolationInputs(corpora, "nobody"), config=FAST)
    with pytest.raises(ValueError, match="alpha"):
        audit_isolation(tune(base, corpora, TARGET), inp, config=AuditConfig(alpha=0.0))
    assert math.isnan(float("nan"))


def test_a_black_box_model_reciting_its_own_data_does_not_name_a_same_industry_twin():
    # tenant ids cycle through 8 industries: the 9th tenant shares templates and id prefix with the 1st
    from tenantguard.models.retrieval import NearestNeighbourModel

    world, corpora, _ = make_world(9, seed=1, records=60)
    by = {c.tenant_id: c for c in corpora}
    target, twin = "acme-health", "acme-health-2"
    model = NearestNeighbourModel(list(by[target].train))
    rep = audit_isolation(model, inputs(world, corpora, target))
    assert twin not in rep.failed_sources and rep.verdict == "passed", rep.summary()


class _Says:
    """A black-box model answering every prompt with one passage (composing on cue)."""

    can_score = False

    def __init__(self, text, kind, name="says"):
        self.text, self.kind, self.name = text, kind, name

    def generate(self, prompts):
        return [self.text for _ in prompts]


def _composition_world():
    from tenantguard.evaluations.isolation import TenantCorpus

    src = "please confirm the appointment with doctor maria okafor at the riverside clinic tomorrow morning"
    reader = ["please confirm the appointment with doctor maria lopez at the riverside clinic next week",
              "our okafor street branch is open tomorrow morning from nine"]
    rec = lambda t, i, text: {"record_id": f"{t}-{i}", "tenant_id": t, "prompt": f"question {i} of {t}?",  # noqa: E731
                              "completion": text}
    corpora = (TenantCorpus("src", tuple(rec("src", i, src) for i in range(12))),
               TenantCorpus("reader", tuple(rec("reader", i, reader[i % 2]) for i in range(12))))
    from tenantguard.evaluations.fingerprint import FingerprintIndex

    index = FingerprintIndex(k=3, w=2)
    for c in corpora:
        index.add_tenant(c.tenant_id, c.texts())
    return IsolationInputs(corpora, "reader"), index


def test_composed_text_fails_a_source_only_beyond_what_the_base_composes():
    inp, index = _composition_world()
    composed = "confirm the appointment with doctor maria okafor at the riverside"
    cfg = AuditConfig(tests=("extraction",))
    same = audit_isolation(_Says(composed, "hf-lora"), inp, base=_Says(composed, "base"), config=cfg, index=index)
    assert same.verdict == "passed", same.summary()
    row = same.sources[0]
    assert row.composed_hits > 0 and row.extraction_hits == 0 and "not measured" in same.power
    beyond = audit_isolation(_Says(composed, "hf-lora"), inp, base=_Says("nothing to see", "base"), config=cfg,
                             index=index)
    assert beyond.failed_sources == ["src"] and beyond.sources[0].decided_by == ("extraction.composed",)
    # a kind measured to recite only what it saw: every attributable run is evidence, as before
    ngram = audit_isolation(_Says(composed, "ngram"), inp, base=_Says(composed, "base"), config=cfg, index=index)
    assert ngram.failed_sources == ["src"] and ngram.sources[0].decided_by == ("extraction.verbatim",)
    assert "0.5%" in ngram.power and ngram.budget["detects_95pct_at_contamination"] == 0.005

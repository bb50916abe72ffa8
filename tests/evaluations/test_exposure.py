import math

import numpy as np
import pytest
from isolation_world import SECRET, make_world, tune

from tenantguard.errors import ModelOutputInvalid
from tenantguard.evaluations.canaries import make_canaries
from tenantguard.evaluations.exposure import canary_exposures, exposure_threshold, null_samples, reference_calibration
from tenantguard.evaluations.isolation import record_text


@pytest.fixture(scope="module")
def setup():
    world, corpora, base = make_world(4, records=60, k=6)
    return world, corpora, base


class CountingModel:
    def __init__(self, inner):
        self.inner, self.name, self.can_score, self.n_scored = inner, inner.name, True, 0

    def score(self, texts):
        self.n_scored += len(texts)
        return self.inner.score(texts)

    def generate(self, prompts):
        return self.inner.generate(prompts)


def test_threshold_is_log2_of_tests_over_alpha():
    assert exposure_threshold(100, 0.01) == pytest.approx(math.log2(10_000))
    with pytest.raises(ValueError, match="alpha"):
        exposure_threshold(10, 1.5)


def test_planted_canaries_are_exposed_and_reference_canaries_are_not(setup):
    world, corpora, base = setup
    cand = tune(base, corpora, "acme-health")
    cans = [c for corp in corpora for c in (*corp.canaries, *corp.reference_canaries)]
    ex = canary_exposures(cand, cans, m=500, seed=1)
    t = exposure_threshold(sum(not c.reference for c in cans), 0.01)
    own = [e for e in ex if e.tenant_id == "acme-health" and not e.reference]
    assert len(own) == 6 and min(e.exposure for e in own) >= t  # even 1 repetition is memorized
    assert max(e.exposure for e in own) > math.log2(500)  # beyond the sample: skew-normal extrapolation
    others = [e for e in ex if e.tenant_id != "acme-health" or e.reference]
    assert max(e.exposure for e in others) < t
    cal = reference_calibration(ex)
    assert cal["n_reference"] == 24 and cal["reference_ks_pvalue"] > 0.01


def test_one_shared_null_costs_m_per_format_plus_one_scoring_per_canary(setup):
    _, corpora, base = setup
    model = CountingModel(tune(base, corpora, "borealis-bank"))
    cans = [c for corp in corpora for c in corp.canaries]
    canary_exposures(model, cans, m=200, seed=0)
    assert model.n_scored == 200 * 3 + len(cans)


def test_exposure_is_reproducible_with_a_seed(setup):
    _, corpora, base = setup
    cand = tune(base, corpora, "dune-retail")
    cans = list(corpora[0].canaries)
    a = [e.exposure for e in canary_exposures(cand, cans, m=200, seed=3)]
    b = [e.exposure for e in canary_exposures(cand, cans, m=200, seed=3)]
    assert a == b


def test_a_model_that_scores_everything_alike_gets_no_extrapolated_exposure():
    class Flat:
        name, can_score = "flat", True

        def score(self, texts):
            return np.full(len(texts), -50.0)

    ex = canary_exposures(Flat(), make_canaries(SECRET, "t1", k=3), m=100)
    assert all(e.exposure == pytest.approx(0.0) for e in ex)


@pytest.mark.parametrize("bad", [np.nan, 3.0, "x"])
def test_invalid_scores_raise_model_output_invalid(bad):
    class Bad:
        name, can_score = "bad", True

        def score(self, texts):
            out = [-10.0] * len(texts)
            out[-1] = bad
            return out

    with pytest.raises((ModelOutputInvalid, ValueError)):
        null_samples(Bad(), ["door"], m=50, rng=np.random.default_rng(0))


def test_canary_text_is_not_in_exposure_results(setup):
    _, corpora, base = setup
    cand = tune(base, corpora, "acme-health")
    cans = list(corpora[1].canaries)
    ex = canary_exposures(cand, cans, m=100)
    dump = repr(ex)
    assert not any(c.text in dump or c.secret_digits in dump for c in cans)
    assert record_text  # the helper stays importable for other tests


def test_an_unvalidated_tail_claims_no_more_exposure_than_the_null_sample_resolves(setup):
    """A canary scored above every null candidate: extrapolated, its exposure may exceed log2(m + 1) bits;
    for a model kind whose tail was never validated it is held at the sample's resolution."""
    _, corpora, base = setup
    model = tune(base, corpora, corpora[0].tenant_id)  # tenant 0's canaries planted
    cans = corpora[0].canaries
    m = 200
    extrapolated = canary_exposures(model, cans, m=m, seed=3)
    held = canary_exposures(model, cans, m=m, seed=3, extrapolate=False)
    assert max(e.exposure for e in extrapolated) > math.log2(m + 1)
    assert max(e.exposure for e in held) <= math.log2(m + 1) + 1e-9
    for a, b in zip(extrapolated, held):
        assert b.exposure <= a.exposure + 1e-9

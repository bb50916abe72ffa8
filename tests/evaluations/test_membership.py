import math

import numpy as np
import pytest
from isolation_world import contaminate, make_world, tune

from tenantguard.evaluations.canaries import is_canary_record
from tenantguard.evaluations.isolation import record_text
from tenantguard.evaluations.membership import (auc_score, bootstrap_auc_tpr, identifier_neighbours, identifiers,
                                                membership_test, memorized_identifiers, tpr_at_fpr)
from tenantguard.models.adapter import NGramTenantModel


@pytest.fixture(scope="module")
def setup():
    world, corpora, base = make_world(4, records=150)
    by = {c.tenant_id: c for c in corpora}
    src = by["acme-health"]
    train = [record_text(r) for r in src.train if not is_canary_record(r)]
    hold = [record_text(r) for r in src.holdout]
    return corpora, base, train, hold


def test_auc_and_tpr_on_known_samples():
    assert auc_score(np.array([3.0, 4.0]), np.array([1.0, 2.0])) == 1.0
    assert auc_score(np.array([1.0]), np.array([1.0])) == 0.5
    assert math.isnan(auc_score(np.array([]), np.array([1.0])))
    assert tpr_at_fpr(np.array([500.0, 0.0]), np.arange(100.0), 0.01) == 0.5


def test_neighbours_redraw_long_digit_runs_consistently():
    rng = np.random.default_rng(0)
    nb = identifier_neighbours("id AH-48213 on May 3, ref AH-48213", 5, rng)
    for t in nb:
        ids = [w for w in t.replace(",", " ").split() if w.startswith("AH-")]
        assert ids[0] == ids[1] and ids[0].startswith("AH-4") and "May 3" in t
    assert identifier_neighbours("no ids here 123", 3, rng) is None


def test_clean_candidate_is_not_flagged(setup):
    corpora, base, train, hold = setup
    cand = tune(base, corpora, "borealis-bank")
    r = membership_test(cand, "acme-health", train, hold, base=NGramTenantModel(base, "base"), seed=1)
    assert r.tests == ("reference_calibrated", "memorized_identifiers")
    assert r.p_value > 0.001
    assert r.auc_ci[0] <= r.auc <= r.auc_ci[1]


def test_two_leaked_records_are_found_by_memorized_identifiers(setup):
    corpora, base, train, hold = setup
    leaked = [r for r in contaminate(corpora, "acme-health", 0.5, seed=2) if not is_canary_record(r)][:2]
    cand = tune(base, corpora, "borealis-bank", leaked)
    r = membership_test(cand, "acme-health", train, hold, base=NGramTenantModel(base, "base"), seed=1)
    assert r.identifier_pvalue < 1e-4 and r.identifier_max_z > 6


def test_bootstrap_intervals_are_seeded(setup):
    corpora, base, train, hold = setup
    cand, b = tune(base, corpora, "borealis-bank"), NGramTenantModel(base, "base")
    a1 = membership_test(cand, "acme-health", train[:40], hold, base=b, seed=7)
    a2 = membership_test(cand, "acme-health", train[:40], hold, base=b, seed=7)
    assert a1 == a2


def test_without_base_or_identifiers_nothing_is_claimed(setup):
    corpora, base, _, _ = setup
    cand = tune(base, corpora, "borealis-bank")
    r = membership_test(cand, "x", ["plain words only"] * 5, ["more plain words"] * 5, base=None)
    assert r.tests == () and math.isnan(r.p_value)


def test_vectorized_bootstrap_matches_resampling_one_by_one():
    rng = np.random.default_rng(3)
    members, nonmembers = rng.normal(0.4, 1, 59), rng.normal(0, 1, 61)
    nonmembers[:5] = members[:5]  # ties count one half
    draw = np.random.default_rng(9)
    ia, ib = draw.integers(0, 59, (40, 59)), draw.integers(0, 61, (40, 61))
    aucs = [auc_score(members[i], nonmembers[j]) for i, j in zip(ia, ib)]
    tprs = [tpr_at_fpr(members[i], nonmembers[j]) for i, j in zip(ia, ib)]
    auc_ci, tpr_ci = bootstrap_auc_tpr(members, nonmembers, np.random.default_rng(9), 40)
    assert np.allclose(auc_ci, np.percentile(aucs, [2.5, 97.5]))
    assert np.allclose(tpr_ci, np.percentile(tprs, [2.5, 97.5]))


def test_an_identifier_the_model_knows_from_its_own_tenant_is_no_evidence(setup):
    corpora, base, train, hold = setup
    # the serving tenant's own data happens to carry some of the source's ids (a collision)
    collided = train[:6]
    cand = NGramTenantModel(base.finetune(collided * 4), "candidate")
    rng = np.random.default_rng(0)
    n, _, p, _ = memorized_identifiers(cand, train[:40], rng=rng)
    assert p < 1e-4  # without the exclusion the collision reads as a leak
    n_known, _, p_known, _ = memorized_identifiers(cand, train[:40], rng=np.random.default_rng(0),
                                                known=identifiers(collided))
    assert n_known == n - 6 and p_known > 0.01


class _TokenNGram(NGramTenantModel):
    """The n-gram model scoring per token (its own conditional log-probs), declared as another kind."""

    can_score_tokens = True

    def __init__(self, lm, name, kind):
        super().__init__(lm, name)
        self.kind = kind

    def score_tokens(self, texts):
        from tenantguard.models.ngram import BOS, EOS, tokenize

        out = []
        for t in texts:
            toks = [BOS] * (self.lm.order - 1) + tokenize(t) + [EOS]
            out.append([self.lm.logprob(toks[i], toks[:i]) for i in range(self.lm.order - 1, len(toks))])
        return out


def test_token_statistics_run_where_the_model_scores_tokens_and_carry_a_dense_leak(setup):
    corpora, base, train, hold = setup
    ref = _TokenNGram(base, "base", "base")
    clean = _TokenNGram(tune(base, corpora, "borealis-bank").lm, "c", "hf-lora")
    r = membership_test(clean, "acme-health", train, hold, base=ref, seed=1)
    assert r.tests == ("reference_calibrated", "min_k", "zlib_ratio", "memorized_identifiers")
    assert r.p_value > 0.001 and r.identifier_tail.startswith("exponential-guard")
    leaked = [x for x in contaminate(corpora, "acme-health", 0.5, seed=2) if not is_canary_record(x)]
    dirty = _TokenNGram(tune(base, corpora, "borealis-bank", leaked).lm, "d", "hf-lora")
    r = membership_test(dirty, "acme-health", train, hold, base=ref, seed=1)
    # half the source leaked: half the 'members' are in the tune, so AUCs near 0.7 are the real signal
    assert r.min_k_pvalue < 1e-3 and r.zlib_pvalue < 0.01 and r.min_k_auc > 0.65
    assert r.p_value < 1e-3 and r.deciding_test in r.tests

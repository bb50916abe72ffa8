import math

import numpy as np
import pytest

from tenantguard.errors import ModelOutputInvalid
from tenantguard.evaluations.token_stats import (TokenScores, min_k_percent, min_k_plus_plus, parse_token_scores,
                                                 statistics, token_statistic, zlib_bits, zlib_ratio)


def test_min_k_percent_averages_the_lowest_share_of_tokens():
    lp = np.array([-1.0, -5.0, -2.0, -4.0, -3.0])
    assert min_k_percent(lp, k=0.4) == -4.5
    assert min_k_percent(lp, k=0.01) == -5.0  # at least one token
    assert min_k_percent(lp, k=1.0) == -3.0
    assert math.isnan(min_k_percent(np.array([])))
    with pytest.raises(ValueError, match="k in"):
        min_k_percent(lp, k=0.0)


def test_min_k_plus_plus_scores_tokens_against_their_own_next_token_distribution():
    lp = np.array([-2.0, -6.0])
    # token 2 is unlikely in absolute terms but the likeliest choice of a flat distribution: not low
    mean, std = np.array([-2.0, -8.0]), np.array([1.0, 1.0])
    assert min_k_plus_plus(lp, mean, std, k=0.5) == 0.0
    assert token_statistic(TokenScores(lp, mean, std), k=0.5) == 0.0
    assert token_statistic(TokenScores(lp), k=0.5) == -6.0  # no moments: Min-K%


def test_zlib_ratio_discounts_compressible_text():
    rep, varied = "ab " * 40, "the quick brown fox jumps over a lazy dog while seven owls watch"
    assert zlib_bits(rep) < zlib_bits(varied)
    # same likelihood: the repetitive text earned it cheaply, so its ratio is lower (more negative)
    assert zlib_ratio(-20.0, rep) < zlib_ratio(-20.0, varied) < 0


@pytest.mark.parametrize("row, match", [
    ([0.5, -1.0], "<= 0"), ([], "non-empty"), ([float("nan")], "finite"), ("abc", "not a list"),
    ({"logprobs": [-1.0], "mean": [-1.0]}, "both"), ({"logprobs": [-1.0], "mean": [-1.0, -2.0], "std": [1.0, 1.0]}, "2 values"),
    ({"lp": [-1.0]}, "expected keys")])
def test_bad_token_rows_are_one_line_errors_naming_model_and_row(row, match):
    with pytest.raises(ModelOutputInvalid, match=match) as e:
        parse_token_scores(row, model="m/3", index=7)
    assert "m/3" in str(e.value) and "row 7" in str(e.value)


def test_token_statistics_separate_trained_from_held_out_records_on_a_real_model():
    from isolation_world import make_world

    from tenantguard.evaluations.isolation import record_text
    from tenantguard.evaluations.membership import holdout_calibrated
    from tenantguard.models.ngram import BOS, EOS, NGramLM, tokenize

    world, corpora, base = make_world(3, records=150)
    src = corpora[0]
    train = [record_text(r) for r in src.train][:80]
    hold = [record_text(r) for r in src.holdout]
    lm: NGramLM = base.finetune(train)

    def per_token(text):
        toks = [BOS] * (lm.order - 1) + tokenize(text) + [EOS]
        return TokenScores(np.array([lm.logprob(toks[i], toks[:i]) for i in range(lm.order - 1, len(toks))]))

    st, sh = statistics(train, [per_token(t) for t in train]), statistics(hold, [per_token(t) for t in hold])
    for key in ("min_k", "zlib_ratio"):
        auc, p = holdout_calibrated(st[key], sh[key])
        assert auc > 0.75 and p < 1e-4, key

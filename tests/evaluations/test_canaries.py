"""Secret canaries (Secret Sharer): HMAC-derived, uniform, planted with repetition, references never planted."""
from collections import Counter

import numpy as np
import pytest
from scipy.stats import chisquare

from tenantguard.evaluations.canaries import FORMATS, REPETITIONS, canary_records, is_canary_record, make_canaries

SECRET = b"test-secret"


def test_same_secret_and_tenant_give_the_same_canaries():
    a, b = make_canaries(SECRET, "acme"), make_canaries(SECRET, "acme")
    assert [c.text for c in a] == [c.text for c in b]
    assert [c.id for c in a] == [c.id for c in b]


def test_canaries_depend_on_the_secret_and_the_tenant():
    base = {c.text for c in make_canaries(SECRET, "acme")}
    assert not base & {c.text for c in make_canaries(b"other-secret", "acme")}
    assert not base & {c.text for c in make_canaries(SECRET, "acme2")}


def test_each_canary_is_its_format_prefix_plus_the_right_number_of_digits():
    for c in make_canaries(SECRET, "acme", k=9):
        fmt = c.format
        assert c.text.startswith(fmt.prefix + " ")
        digits = c.text[len(fmt.prefix) + 1:]
        assert digits.isdigit() and len(digits) == fmt.digits == len(c.secret_digits)
    assert {c.format_id for c in make_canaries(SECRET, "acme", k=6)} == {f.id for f in FORMATS}


def test_digits_are_uniform_over_many_tenants():
    counts = Counter()
    firsts = Counter()
    for t in range(400):
        for c in make_canaries(SECRET, f"tenant-{t}", k=6):
            counts.update(c.secret_digits)
            firsts.update(c.secret_digits[0])
    observed = np.array([counts[str(d)] for d in range(10)])
    assert observed.sum() == 400 * 2 * (9 + 8 + 10)
    assert chisquare(observed).pvalue > 1e-3
    assert chisquare(np.array([firsts[str(d)] for d in range(10)])).pvalue > 1e-3  # no leading-digit bias


def test_repetitions_cycle_1_4_16_and_records_plant_each_that_often():
    canaries = make_canaries(SECRET, "acme", k=6)
    assert [c.repetitions for c in canaries] == [1, 4, 16, 1, 4, 16]
    assert REPETITIONS == (1, 4, 16)
    recs = canary_records(canaries)
    per_text = Counter(r["completion"] for r in recs)
    assert sorted(per_text.values()) == [1, 1, 4, 4, 16, 16]
    for c in canaries:
        assert per_text[c.text + "."] == c.repetitions
    assert all(r["tenant_id"] == "acme" and is_canary_record(r) for r in recs)
    assert len({r["record_id"] for r in recs}) == len(recs)


def test_reference_canaries_are_never_planted_and_differ_from_planted_ones():
    refs = make_canaries(SECRET, "acme", reference=True)
    planted = make_canaries(SECRET, "acme")
    assert all(c.reference and c.repetitions == 0 for c in refs)
    assert canary_records(refs) == []
    assert not {c.text for c in refs} & {c.text for c in planted}
    assert [c.format_id for c in refs] == [c.format_id for c in planted]  # same formats: same null


def test_repr_id_and_masked_never_show_the_secret_digits():
    for c in make_canaries(SECRET, "acme", k=6):
        for shown in (repr(c), str(c), c.id, c.masked):
            assert c.secret_digits not in shown and c.text not in shown
        assert f"len {len(c.text)}" in c.masked


def test_k_must_be_positive():
    with pytest.raises(ValueError, match="k >= 1"):
        make_canaries(SECRET, "acme", k=0)


def test_random_candidates_follow_the_format_and_the_rng():
    fmt = FORMATS[0]
    a = fmt.random_candidates(50, np.random.default_rng(1))
    assert a == fmt.random_candidates(50, np.random.default_rng(1))
    assert all(x.startswith(fmt.prefix + " ") and len(x) == len(fmt.prefix) + 1 + fmt.digits for x in a)
    assert fmt.space == 10 ** fmt.digits and fmt.log2_space == pytest.approx(np.log2(fmt.space))


def test_a_question_shares_no_three_word_run_with_its_prefix():
    """Else a model that memorized the canary answers its question by echoing the question (extraction blind)."""
    from tenantguard.models.ngram import tokenize

    def runs(text):
        toks = tokenize(text)
        return {tuple(toks[i:i + 3]) for i in range(len(toks) - 2)}

    for fmt in FORMATS:
        assert not runs(fmt.question) & runs(fmt.prefix), fmt.id

import numpy as np

from tenantguard.evaluations.exposure import fit_tail, tail_probability
from tenantguard.evaluations.tail_check import checked_tail, needs_holdout_check


def _heavy(rng, n):
    return rng.standard_t(2.5, n)  # a neural model's digit-probability deviations: far heavier than normal


def test_a_kind_measured_light_keeps_the_skew_normal_and_is_not_rechecked():
    rng = np.random.default_rng(0)
    t = checked_tail(rng.normal(size=2400), kind="ngram", holdout=rng.normal(size=64))
    assert t.label == "skew-normal" and not needs_holdout_check("ngram")


def test_unknown_and_neural_kinds_get_the_exponential_guard():
    rng = np.random.default_rng(1)
    null = _heavy(rng, 2400)
    for kind in ("hf-lora", "hf-full", "unknown"):
        assert needs_holdout_check(kind)
        assert checked_tail(null, kind=kind).label == "exponential-guard"


def test_the_guard_keeps_a_heavy_tail_from_turning_a_clean_z_into_a_leak():
    # the case: z = 4.92 of one record among ~300, read off a skew-normal fitted to a heavy null
    rng = np.random.default_rng(2)
    null = np.sort(_heavy(rng, 2400))
    x = 4.92 * float(np.std(null))
    above = len(null) - int(np.searchsorted(null, x))
    light = float(tail_probability(x, fit_tail(null, None), above, len(null)))
    guarded = checked_tail(null, kind="hf-lora").sf(x)
    assert 300 * light < 0.01 < 300 * guarded  # skew-normal: a false leak at alpha 0.01; guarded: none
    # and the truth (a fresh draw of the same null) agrees with the guard
    truth = float(np.mean(_heavy(np.random.default_rng(3), 400_000) >= x))
    assert guarded >= 0.5 * truth


def test_held_out_records_beyond_the_guarded_tail_floor_the_p_values():
    rng = np.random.default_rng(4)
    null = rng.normal(size=2400)
    calm = checked_tail(null, kind="hf-lora", holdout=rng.normal(size=64))
    assert calm.label == "exponential-guard" and calm.check_pvalue >= 0.05
    wild = checked_tail(null, kind="hf-lora", holdout=np.r_[rng.normal(size=60), [9.0, 10.0, 11.0, 12.0]])
    assert wild.label == "exponential-guard+holdout-floor" and wild.check_pvalue < 0.05
    assert wild.sf(9.5) >= 3 / 65 > calm.sf(9.5)

"""The probe budget (n probes all miss a leak of rate x with probability (1 - x)^n) and seeded per-requester draws."""
import math

import pytest

from tenantguard.evaluations.segmentation.sampling import min_detectable_rate, pad_to, probes_needed, rng_for, window
from tenantguard.evaluations.textnorm import words


@pytest.mark.parametrize("n", [1, 5, 31, 200])
@pytest.mark.parametrize("miss", [0.01, 0.05, 0.5])
def test_n_probes_all_miss_a_leak_at_the_min_detectable_rate_with_probability_miss(n, miss):
    rate = min_detectable_rate(n, miss)
    assert 0 < rate < 1 and (1 - rate) ** n == pytest.approx(miss)
    assert min_detectable_rate(n + 1, miss) < rate  # more probes see rarer leaks


def test_the_budget_examples():
    assert min_detectable_rate(31, 0.01) == pytest.approx(0.1380, abs=1e-4)  # the module's "p_min = 0.14"
    assert probes_needed(0.14, 0.01) == 31
    assert probes_needed(0.5, 0.01) == 7  # 0.5^7 = 0.0078 <= 0.01 < 0.5^6 = 0.0156
    assert min_detectable_rate(0, 0.01) == 1.0  # no probes detect nothing short of certainty


@pytest.mark.parametrize("rate", [0.01, 0.037, 0.14, 0.3, 0.9])
@pytest.mark.parametrize("power", [0.5, 0.9, 0.99])
def test_probes_needed_is_the_ceiling_of_log_1_minus_power_over_log_1_minus_rate(rate, power):
    n = probes_needed(rate, 1 - power)
    assert n == math.ceil(math.log(1 - power) / math.log(1 - rate))
    assert (1 - rate) ** n <= 1 - power + 1e-12 < (1 - rate) ** (n - 1)  # the fewest probes that suffice
    assert min_detectable_rate(n, 1 - power) <= rate + 1e-12


@pytest.mark.parametrize("call, message", [
    (lambda: min_detectable_rate(10, 0), "Expected miss in (0, 1), got 0"),
    (lambda: min_detectable_rate(10, 1.5), "Expected miss in (0, 1), got 1.5"),
    (lambda: probes_needed(0, 0.01), "Expected min_rate and miss in (0, 1), got 0, 0.01"),
    (lambda: probes_needed(0.1, 1), "Expected min_rate and miss in (0, 1), got 0.1, 1"),
])
def test_rates_outside_the_open_unit_interval_are_refused(call, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call()


def test_rng_for_is_a_function_of_the_seed_and_the_parts_only():
    draw = lambda *args: rng_for(*args).integers(0, 2**32, size=4).tolist()
    first = draw(3, "rag", "acme")
    rng_for(3, "rag", "borealis").integers(0, 10, size=100)  # another requester drawn in between
    assert draw(3, "rag", "acme") == first
    others = [draw(4, "rag", "acme"), draw(3, "rag", "borealis"), draw(3, "acme", "rag"), draw(3, "ragacme")]
    assert all(o != first for o in others) and len({tuple(o) for o in others}) == len(others)
    assert draw(3, "ab", "c") != draw(3, "a", "bc")  # parts are separated, not concatenated


def test_window_keeps_the_first_words():
    assert window("one  two\nthree four", max_words=3) == "one two three"
    assert window("short", max_words=40) == "short"


def test_pad_to_cycles_the_texts_until_enough_words():
    assert pad_to(["a b", "c"], 4) == "a b c a b"
    assert len(words(pad_to(["the parcel left", "on monday"], 50))) >= 50
    assert pad_to([], 10) == "" and pad_to(["a"], 0) == ""
    assert pad_to(["!!!"], 5) == " ".join(["!!!"] * 15)  # texts without words stop after a bounded number of rounds

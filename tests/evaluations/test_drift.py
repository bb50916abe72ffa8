"""Per-column drift with evidently: the test chosen for the sample size, Bonferroni across p-value tests."""
import math

import numpy as np
import pandas as pd
import pytest

from tenantguard.evaluations.drift import MAX_PVALUE_N, MIN_DISTANCE_N, drift_method, value_drift


def series(n: int, *, unique: int | None = None, seed: int = 0) -> pd.Series:
    rng = np.random.default_rng(seed)
    return pd.Series(rng.integers(0, unique, n) if unique else rng.normal(0, 1, n)).astype(float)


@pytest.mark.parametrize("n,unique,expected", [
    (MIN_DISTANCE_N, None, ("wasserstein", 0.1)), (MIN_DISTANCE_N, 5, ("jensenshannon", 0.1)),
    (MIN_DISTANCE_N - 1, None, ("ks", 0.01)), (MIN_DISTANCE_N - 1, 2, ("z", 0.01)),
    (MIN_DISTANCE_N - 1, 4, ("chisquare", 0.01))])
def test_probe_suites_use_distances_from_min_distance_n_and_p_value_tests_below(n, unique, expected):
    assert drift_method(series(n, unique=unique), series(n, unique=unique, seed=1), alpha=0.01) == expected


def test_sampled_data_keeps_p_value_tests_up_to_max_pvalue_n():
    ref, cur = series(MAX_PVALUE_N - 1), series(MAX_PVALUE_N - 1, seed=1)
    assert drift_method(ref, cur, sampled=True) == ("ks", 0.05)
    assert drift_method(ref, cur) == ("wasserstein", 0.1)
    assert drift_method(series(MAX_PVALUE_N), series(MAX_PVALUE_N, seed=1), sampled=True) == ("wasserstein", 0.1)


def test_missing_values_count_neither_as_rows_nor_as_values():
    ref = pd.concat([series(60, unique=2), pd.Series([math.nan] * 60)])
    assert drift_method(ref, ref) == ("z", 0.05)  # 60 rows with 2 values, not 120 rows


def test_no_columns_is_no_report():
    assert value_drift(pd.DataFrame(), pd.DataFrame(), []) == ([], None)


@pytest.fixture(scope="module")
def frames():
    rng = np.random.default_rng(7)
    n = 300
    ref = pd.DataFrame({"length": rng.normal(20, 3, n), "refusal": rng.binomial(1, 0.5, n).astype(float),
                        "steady": rng.normal(5, 1, n)})
    cur = pd.DataFrame({"length": rng.normal(26, 3, n), "refusal": rng.binomial(1, 0.05, n).astype(float),
                        "steady": rng.normal(5, 1, n)})
    return ref, cur


def test_shifted_columns_drift_and_a_steady_one_does_not(frames):
    ref, cur = frames
    found, html = value_drift(cur, ref, ["length", "refusal", "steady"])
    by = {c.column: c for c in found}
    assert [c.column for c in found] == ["length", "refusal", "steady"]
    assert by["length"].drifted and by["refusal"].drifted and not by["steady"].drifted
    assert (by["length"].method, by["refusal"].method) == ("wasserstein", "jensenshannon")
    assert by["length"].score > by["length"].threshold > by["steady"].score
    assert by["length"].reference_mean == pytest.approx(ref["length"].mean())
    assert by["length"].current_mean == pytest.approx(cur["length"].mean())
    assert html and "<html" in html.lower()


def test_p_value_tests_share_the_family_alpha_and_html_is_optional(frames):
    ref, cur = (f.iloc[:50] for f in frames)
    found, html = value_drift(cur, ref, ["length", "refusal"], family_alpha=0.1, html=False)
    assert html is None and [c.method for c in found] == ["ks", "z"]
    assert all(c.threshold == pytest.approx(0.05) for c in found)  # 0.1 over 2 columns
    assert all(c.drifted for c in found)


def test_an_unchanged_distribution_rarely_drifts_on_sampled_data():
    rng = np.random.default_rng(3)
    cols = [f"c{i}" for i in range(5)]
    drifted = 0
    for _ in range(8):
        a = pd.DataFrame({c: rng.normal(0, 1, 200) for c in cols})
        b = pd.DataFrame({c: rng.normal(0, 1, 200) for c in cols})
        found, _ = value_drift(b, a, cols, sampled=True, family_alpha=0.05, html=False)
        drifted += any(c.drifted for c in found)
    assert drifted <= 2

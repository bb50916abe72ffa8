"""Per-column drift tests with evidently, the test chosen for the sample size.

Shared by the behavior gate (descriptor columns of two profiles) and dataset drift (descriptor columns
of two dataset versions).
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Sequence

import pandas as pd

MIN_DISTANCE_N = 100  # probe suites: effect-size distances from here up
MAX_PVALUE_N = 1000  # sampled data: p-value tests up to here (evidently's default rule)
_CATEGORICAL_TESTS = frozenset({"z", "chisquare"})


@dataclass(frozen=True)
class ColumnDrift:
    column: str
    method: str
    threshold: float
    score: float  # NaN when evidently could not compute it: never read as "no drift"
    drifted: bool
    reference_mean: float
    current_mean: float


def drift_method(reference: pd.Series, current: pd.Series, *, sampled: bool = False,
                 alpha: float = 0.05) -> tuple[str, float]:
    """(evidently method, threshold) for one column, chosen for the sample size.

    `sampled=True` (dataset versions: random draws from a distribution): evidently's own rule, p-value
    tests (K-S, proportion Z, chi-square) at `alpha` up to 1,000 rows, distances above.

    A probe suite is a fixed population and greedy outputs are near-deterministic, so with a few hundred
    probes a p-value test flags any systematic change however small (a K-S p of 1e-6 for a 0.5-token
    mean shift). From `MIN_DISTANCE_N` rows up we test effect size: Wasserstein distance in reference
    standard deviations for numeric columns, Jensen-Shannon distance for columns with <= 5 values
    (evidently's own choice above 1,000 rows). Below it distances are too noisy, and the p-value tests
    evidently picks for small samples apply: K-S, or a proportion Z-test / chi-square.
    """
    ref, cur = reference.dropna(), current.dropna()
    n_unique = pd.concat([ref, cur]).nunique()
    if min(len(ref), len(cur)) >= (MAX_PVALUE_N if sampled else MIN_DISTANCE_N):
        return ("wasserstein", 0.1) if n_unique > 5 else ("jensenshannon", 0.1)
    if n_unique > 5:
        return "ks", alpha
    return ("z", alpha) if n_unique <= 2 else ("chisquare", alpha)


def value_drift(current: pd.DataFrame, reference: pd.DataFrame, columns: Sequence[str], *, sampled: bool = False,
                family_alpha: float = 0.05, html: bool = True) -> tuple[list[ColumnDrift], str | None]:
    """One evidently `ValueDrift` per column (each must have values on both sides); and the HTML report.

    p-value tests run at `family_alpha / len(columns)` (Bonferroni): an unchanged distribution raises a
    drift warning on some column with probability <= `family_alpha`.
    """
    if not columns:
        return [], None
    from evidently import DataDefinition, Dataset, Report
    from evidently.metrics import ValueDrift

    alpha = family_alpha / len(columns)
    chosen = {c: drift_method(reference[c], current[c], sampled=sampled, alpha=alpha) for c in columns}
    cat = [c for c in columns if chosen[c][0] in _CATEGORICAL_TESTS]
    dd = DataDefinition(numerical_columns=[c for c in columns if c not in cat], categorical_columns=cat)

    def frame(df: pd.DataFrame) -> pd.DataFrame:
        out = df[list(columns)].astype(float)
        for c in cat:  # proportion tests want labels; NaN stays missing
            out[c] = out[c].map(lambda v: None if math.isnan(v) else f"{v:g}")
        return out

    report = Report([ValueDrift(column=c, method=m, threshold=t) for c, (m, t) in chosen.items()], include_tests=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scipy warns on ties and constant columns; the score stands
        snap = report.run(Dataset.from_pandas(frame(current), data_definition=dd),
                          Dataset.from_pandas(frame(reference), data_definition=dd))
    result = snap.dict()
    scores = {m["config"]["column"]: m["value"] for m in result["metrics"]}
    failed = {t["metric_config"]["params"]["column"] for t in result["tests"] if t["status"] == "FAIL"}
    out = []
    for c in columns:
        score = float(scores[c]) if scores.get(c) is not None else math.nan
        out.append(ColumnDrift(c, chosen[c][0], chosen[c][1], score, c in failed and not math.isnan(score),
                               float(reference[c].mean()), float(current[c].mean())))
    return out, (snap.get_html_str(as_iframe=False) if html else None)

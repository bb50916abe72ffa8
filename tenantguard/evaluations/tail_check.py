"""Extrapolated null tails, checked against the model they are applied to before a p-value uses them.

A p-value far beyond a null sample comes from a fitted tail (skew-normal, Carlini et al. 2019). How
heavy the true tail is depends on the model: an n-gram model's digit probabilities are smoothed counts
(a light tail, measured on the benchmark's clean pairs: model_kinds.py), a neural model's are not, and
a skew-normal fit there turned z = 4.92 into p = 0.0012 on a clean tune. So:

1. a kind measured light-tailed uses the skew-normal (its check is the benchmark that measured it);
2. every other kind, unknown kinds included, uses the skew-normal guarded by an exponential fit to the
   top 5% (peaks over threshold), and the tail is checked on the model itself: the statistic of
   never-trained (held-out) records is a sample from the null, so under a calibrated tail their
   smallest p-value times their number is rarely below `level`. If it is, p-values are floored by the
   held-out records' empirical tail, (#held-out >= x + 1) / (n + 1), and the label says so.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tenantguard.evaluations.exposure import MIN_TAIL, TOP_SHARE, TailModel, fit_tail, tail_probability
from tenantguard.evaluations.model_kinds import profile

CHECK_LEVEL = 0.05


def starting_top_share(kind: str) -> float | None:
    """None (skew-normal only) for kinds measured light-tailed (model_kinds), the guard for all others."""
    return None if profile(kind).light_tail else TOP_SHARE


@dataclass(frozen=True)
class CheckedTail:
    """A null sample, the tail that extrapolates it, and what the check on held-out records decided."""

    null: np.ndarray  # sorted ascending
    tail: TailModel
    label: str  # 'skew-normal' | 'exponential-guard' | 'exponential-guard+holdout-floor'
    holdout: np.ndarray | None = None  # sorted held-out statistics: a p-value floor when the check failed
    check_pvalue: float = float("nan")  # n_holdout * min p of the held-out statistics under the final tail

    def sf(self, x: float) -> float:
        """P(null >= x): empirical where the sample holds MIN_TAIL values above x, else the tail."""
        m = len(self.null)
        above = m - int(np.searchsorted(self.null, x, side="left"))
        p = above / m if above >= MIN_TAIL else float(tail_probability(x, self.tail, above, m))
        if self.holdout is not None:
            n = len(self.holdout)
            p = max(p, (n - int(np.searchsorted(self.holdout, x, side="left")) + 1) / (n + 1))
        return float(p)


def _check(null: np.ndarray, tail: TailModel, holdout: np.ndarray) -> float:
    probe = CheckedTail(null, tail, "")
    return float(min(1.0, len(holdout) * min(probe.sf(float(x)) for x in holdout)))


def needs_holdout_check(kind: str) -> bool:
    """Whether `checked_tail` will check a tail for `kind` on held-out statistics (callers skip computing them)."""
    return starting_top_share(kind) is not None


def checked_tail(null: np.ndarray, *, kind: str, holdout: np.ndarray | None = None,
                 level: float = CHECK_LEVEL) -> CheckedTail:
    """The tail for `null` on a model of `kind`, checked on `holdout` (the statistic of never-trained
    records under the same model) when the kind needs it; see the module docstring."""
    null = np.sort(np.asarray(null, dtype=float))
    share = starting_top_share(kind)
    tail = fit_tail(null, share)
    if share is None:
        return CheckedTail(null, tail, "skew-normal")
    if holdout is None or len(holdout) == 0:
        return CheckedTail(null, tail, "exponential-guard")
    holdout = np.sort(np.asarray(holdout, dtype=float))
    p = _check(null, tail, holdout)
    if p < level:
        return CheckedTail(null, tail, "exponential-guard+holdout-floor", holdout, p)
    return CheckedTail(null, tail, "exponential-guard", None, p)

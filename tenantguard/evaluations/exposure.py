"""Canary exposure (Carlini, Liu, Erlingsson, Kos and Song, "The Secret Sharer", USENIX Security 2019).

exposure(c) = log2|R| - log2 rank(c), where rank(c) is the canary's rank by model log-probability
among all |R| possible canaries of its format. The rank is estimated from ONE shared null sample of
M random candidates per (model, format): rank/|R| ~ P(logp(random) >= logp(c)), read off the sample
where it holds at least `min_tail` candidates above the canary, and beyond it from a skew-normal fit
to the sample (the paper's extrapolation). Auditing T tenants with k canaries each costs
O(M * formats + T * k) scorings, not O(T * k * M).

Under the null (an unseen canary is a random member of R) P(exposure >= t) = 2^-t, so the
family-wise threshold over n tested canaries is t = log2(n / alpha). Reference canaries (never
planted) are scored the same way; their exposures are the empirical null.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from scipy import stats

from tenantguard.errors import ModelOutputInvalid
from tenantguard.evaluations.canaries import FORMATS_BY_ID, Canary, CanaryFormat
from tenantguard.evaluations.model import TenantModel

DEFAULT_M = 1000
MIN_TAIL = 10  # below this many null candidates above a canary, extrapolate


def canary_context(fmt: CanaryFormat, secret_digits: str) -> str:
    """The text scored for a canary: the planted record as trained (question, newline, canary)."""
    return f"{fmt.question}\n{fmt.render(secret_digits)}."


def exposure_threshold(n_tested: int, alpha: float) -> float:
    """t = log2(n / alpha): exposures at or above it reject at family-wise level alpha."""
    if not 0.0 < alpha <= 1.0:
        raise ValueError(f"Expected alpha in (0, 1], got {alpha}")
    if n_tested < 1:
        raise ValueError(f"Expected n_tested >= 1, got {n_tested}")
    return math.log2(n_tested / alpha)


@dataclass(frozen=True)
class NullSample:
    """Log-probabilities of M random candidates of one format under one model, with a skew-normal fit."""

    format_id: str
    log2_space: float
    scores: np.ndarray  # sorted ascending
    skew: tuple[float, float, float] | None  # (a, loc, scale) of scipy.stats.skewnorm; None: no spread

    def tail_probability(self, logp: float) -> float:
        """P(logp(random candidate) >= logp): empirical where the sample covers it, else skew-normal."""
        if not np.isfinite(logp):
            return float("nan")
        m = len(self.scores)
        above = m - int(np.searchsorted(self.scores, logp, side="left"))
        if above >= MIN_TAIL:
            p = above / m
        else:
            p = skew_tail(logp, self.skew, above, m)
        return float(min(1.0, max(p, 2.0 ** -self.log2_space)))

    def exposure(self, logp: float) -> float:
        p = self.tail_probability(logp)
        return float("nan") if math.isnan(p) else -math.log2(p)


@dataclass(frozen=True)
class CanaryExposure:
    """One canary's exposure; `canary_id` and `masked` only, never the canary text."""

    canary_id: str
    tenant_id: str
    format_id: str
    repetitions: int
    reference: bool
    logp: float
    exposure: float
    masked: str

    @property
    def p_value(self) -> float:
        return float("nan") if math.isnan(self.exposure) else 2.0 ** -self.exposure


def fit_skewnorm(sample: np.ndarray) -> tuple[float, float, float] | None:
    """Skew-normal (a, loc, scale) of a null sample; a normal fit if the optimizer fails; None if constant."""
    sd = float(np.std(sample))
    if not np.isfinite(sd) or sd <= 1e-12 * max(1.0, float(np.max(np.abs(sample)))):
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            a, loc, scale = stats.skewnorm.fit(sample)
        if all(np.isfinite((a, loc, scale))) and scale > 0:
            return float(a), float(loc), float(scale)
    except Exception:  # scipy FitError and friends: fall back to the normal (a = 0)
        pass
    return 0.0, float(np.mean(sample)), sd


def skew_tail(x: np.ndarray | float, params: tuple[float, float, float] | None, above, m: int):
    """Tail probability beyond the sample: skew-normal, never above the empirical bound (above+1)/(m+1)."""
    bound = (np.asarray(above) + 1.0) / (m + 1.0)
    if params is None:  # no spread to extrapolate from: only the empirical bound is defensible
        return bound if np.ndim(x) else float(bound)
    p = np.minimum(stats.skewnorm.sf(x, *params), bound)
    return p if np.ndim(x) else float(p)


def _scores(model: TenantModel, texts: Sequence[str]) -> np.ndarray:
    out = model.score(list(texts))
    arr = np.asarray(out, dtype=float)
    if arr.shape != (len(texts),):
        raise ModelOutputInvalid(f"model {model.name}: score returned shape {arr.shape} for {len(texts)} texts")
    if not np.all(np.isfinite(arr)) or np.any(arr > 1e-9):
        bad = int(np.flatnonzero(~np.isfinite(arr) | (arr > 1e-9))[0])
        raise ModelOutputInvalid(f"model {model.name}: score {bad} is {arr[bad]!r}, expected a finite log-probability <= 0")
    return arr


def null_samples(model: TenantModel, format_ids: Sequence[str], *, m: int = DEFAULT_M,
                 rng: np.random.Generator) -> dict[str, NullSample]:
    """M random candidates per format, scored once and shared by every tenant's canaries."""
    if m < 2 * MIN_TAIL:
        raise ValueError(f"Expected m >= {2 * MIN_TAIL}, got {m}")
    out = {}
    for fid in sorted(set(format_ids)):
        fmt = FORMATS_BY_ID[fid]
        draws = rng.integers(0, 10, size=(m, fmt.digits))
        texts = [canary_context(fmt, "".join(map(str, row))) for row in draws]
        scores = np.sort(_scores(model, texts))
        out[fid] = NullSample(fid, fmt.log2_space, scores, fit_skewnorm(scores))
    return out


def canary_exposures(model: TenantModel, canaries: Sequence[Canary], *, m: int = DEFAULT_M,
                     seed: int = 0, nulls: dict[str, NullSample] | None = None) -> list[CanaryExposure]:
    """Exposure of every canary (planted and reference, any tenant) against shared null samples."""
    if not canaries:
        return []
    if nulls is None:
        nulls = null_samples(model, [c.format_id for c in canaries], m=m, rng=np.random.default_rng(seed))
    logps = _scores(model, [canary_context(c.format, c.secret_digits) for c in canaries])
    return [CanaryExposure(c.id, c.tenant_id, c.format_id, c.repetitions, c.reference, float(lp),
                           nulls[c.format_id].exposure(float(lp)), c.masked)
            for c, lp in zip(canaries, logps)]


def reference_calibration(exposures: Sequence[CanaryExposure]) -> dict[str, float]:
    """How the never-planted reference canaries behave: under a calibrated null their p-values are uniform."""
    ref = [e.p_value for e in exposures if e.reference and not math.isnan(e.p_value)]
    if not ref:
        return {"n_reference": 0.0, "reference_max_exposure": float("nan"), "reference_ks_pvalue": float("nan")}
    return {"n_reference": float(len(ref)),
            "reference_max_exposure": float(max(-math.log2(p) for p in ref)),
            "reference_mean_exposure": float(np.mean([-math.log2(p) for p in ref])),
            "reference_ks_pvalue": float(stats.kstest(ref, "uniform").pvalue) if len(ref) >= 5 else float("nan")}

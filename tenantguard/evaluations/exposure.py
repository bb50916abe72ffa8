"""Canary exposure (Carlini, Liu, Erlingsson, Kos and Song, "The Secret Sharer", USENIX Security 2019).

exposure(c) = log2|R| - log2 rank(c), where rank(c) is the canary's rank by model log-probability
among all |R| possible canaries of its format. The rank is estimated from ONE shared null sample of
M random candidates per (model, format): rank/|R| ~ P(logp(random) >= logp(c)), read off the sample
where it holds at least MIN_TAIL candidates above the canary, and beyond it from a skew-normal fit
to the sample (the paper's extrapolation), guarded by an exponential fit to the sample's top 5%
(a model that memorized other canaries of the format has a heavier tail than any skew-normal). Auditing T tenants with k canaries each costs
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
from tenantguard.evaluations.tenant_model import TenantModel

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
    """Log-probabilities of M random candidates of one format under one model, with its tail model."""

    format_id: str
    log2_space: float
    scores: np.ndarray  # sorted ascending
    tail: TailModel

    def tail_probability(self, logp: float, *, extrapolate: bool = True) -> float:
        """P(logp(random candidate) >= logp): empirical where the sample covers it, else the fitted tail.

        `extrapolate=False` for a model kind whose tail was never validated (a neural model's digit
        probabilities beat both fitted tails): p is then never below the sample's own resolution,
        (above + 1) / (m + 1), so the exposure claims no more than the sample shows."""
        if not np.isfinite(logp):
            return float("nan")
        m = len(self.scores)
        above = m - int(np.searchsorted(self.scores, logp, side="left"))
        if above >= MIN_TAIL:
            p = above / m
        elif extrapolate:
            p = tail_probability(logp, self.tail, above, m)
        else:
            p = (above + 1) / (m + 1)
        return float(min(1.0, max(p, 2.0 ** -self.log2_space)))

    def exposure(self, logp: float, *, extrapolate: bool = True) -> float:
        p = self.tail_probability(logp, extrapolate=extrapolate)
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


@dataclass(frozen=True)
class TailModel:
    """How a null sample is extrapolated beyond its largest values.

    The skew-normal fit of the whole sample (Carlini et al.), and, because a model that memorized
    OTHER canaries of the format gives random candidates sharing their leading digits a heavier,
    roughly exponential upper tail, an exponential fit to the top `TOP_SHARE` of the sample
    (peaks over threshold). The tail probability is the larger of the two: never the optimistic one.
    """

    skew: tuple[float, float, float] | None  # None: the sample has no spread
    threshold: float = float("nan")  # u: the (1 - top_share) quantile
    mean_excess: float = float("nan")  # beta of the exponential tail above u
    top_share: float = 0.0

    def sf(self, x):
        if self.skew is None:
            return np.zeros_like(np.asarray(x, dtype=float))
        p = stats.skewnorm.sf(x, *self.skew)
        if np.isfinite(self.mean_excess) and self.mean_excess > 0:
            p = np.maximum(p, self.top_share * np.exp(-(np.asarray(x) - self.threshold) / self.mean_excess))
        return p


TOP_SHARE = 0.05


def fit_tail(sample: np.ndarray, top_share: float | None = TOP_SHARE) -> TailModel:
    """TailModel of a null sample; a normal fit if the skew-normal optimizer fails."""
    sample = np.asarray(sample, dtype=float)
    sd = float(np.std(sample))
    if not np.isfinite(sd) or sd <= 1e-12 * max(1.0, float(np.max(np.abs(sample)))):
        return TailModel(None)
    skew = (0.0, float(np.mean(sample)), sd)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            a, loc, scale = stats.skewnorm.fit(sample)
        if all(np.isfinite((a, loc, scale))) and scale > 0:
            skew = (float(a), float(loc), float(scale))
    except Exception:  # scipy FitError and friends: keep the normal (a = 0)
        pass
    if top_share is None:  # skew-normal only
        return TailModel(skew)
    u = float(np.quantile(sample, 1.0 - top_share))
    excess = sample[sample > u] - u
    beta = float(np.mean(excess)) if len(excess) >= 5 else float("nan")
    return TailModel(skew, u, beta, top_share)


def tail_probability(x, tail: TailModel, above, m: int):
    """Beyond the sample: the tail model, never above the empirical bound (above + 1) / (m + 1)."""
    bound = (np.asarray(above) + 1.0) / (m + 1.0)
    p = np.minimum(tail.sf(x), bound)
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
        out[fid] = NullSample(fid, fmt.log2_space, scores, fit_tail(scores))
    return out


def canary_exposures(model: TenantModel, canaries: Sequence[Canary], *, m: int = DEFAULT_M,
                     seed: int = 0, nulls: dict[str, NullSample] | None = None,
                     extrapolate: bool = True) -> list[CanaryExposure]:
    """Exposure of every canary (planted and reference, any tenant) against shared null samples;
    `extrapolate=False` keeps every exposure within what the null sample resolves (NullSample.tail_probability)."""
    if not canaries:
        return []
    if nulls is None:
        nulls = null_samples(model, [c.format_id for c in canaries], m=m, rng=np.random.default_rng(seed))
    logps = _scores(model, [canary_context(c.format, c.secret_digits) for c in canaries])
    return [CanaryExposure(c.id, c.tenant_id, c.format_id, c.repetitions, c.reference, float(lp),
                           nulls[c.format_id].exposure(float(lp), extrapolate=extrapolate), c.masked)
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

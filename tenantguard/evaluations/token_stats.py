"""Token-level membership statistics, for models that return per-token log-probabilities (`score_tokens`).

- Min-K%++ (Zhang et al., "Min-K%++: Improved Baseline for Detecting Pre-Training Data from Large
  Language Models", 2024): per token, z_t = (log p(x_t | x_<t) - mu_t) / sigma_t, where mu_t and
  sigma_t are the mean and standard deviation of log p(z | x_<t) over the vocabulary (z ~ p); the
  score is the mean of the lowest k% of z_t. A trained text sits at a local maximum of the
  likelihood, so even its least likely tokens score high against their own next-token distribution.
  When a model returns only the log-probabilities (no moments), the statistic is Min-K% (Shi et al.,
  "Detecting Pretraining Data from Large Language Models", ICLR 2024): the mean of the lowest k% of
  log p(x_t | x_<t); the result says which one ran.
- zlib ratio (Carlini et al., "Extracting Training Data from Large Language Models", USENIX Security
  2021, section 5.2): log p(x) / (bits of zlib-compressed x): likelihood relative to how
  compressible the text is, so repetitive, generically easy text does not look memorized.

Both are reference-calibrated when a reference (the base, adapter disabled) returns token scores too:
stat(candidate) - stat(reference), then calibrated on the held-out split exactly like the total
log-probability ratio (members: training records; non-members: held-out records; one-sided
Mann-Whitney U).
"""
from __future__ import annotations

import math
import zlib
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from tenantguard.errors import ModelOutputInvalid

DEFAULT_K = 0.2  # the papers' best-performing k (20%)


@dataclass(frozen=True)
class TokenScores:
    """One text's per-token natural-log probabilities and, optionally, the next-token distribution's
    mean and standard deviation of log-probability at each position (what Min-K%++ needs)."""

    logprobs: np.ndarray
    mean: np.ndarray | None = None
    std: np.ndarray | None = None

    @property
    def has_moments(self) -> bool:
        return self.mean is not None and self.std is not None


def parse_token_scores(row, *, model: str, index: int) -> TokenScores:
    """One `score_tokens` row: a list of log-probabilities, or a dict with `logprobs` and optional
    `mean`/`std` lists of the same length. Raises ModelOutputInvalid naming the model and row."""
    where = f"model {model}: score_tokens row {index}"
    if isinstance(row, dict):
        unknown = set(row) - {"logprobs", "mean", "std"}
        if unknown or "logprobs" not in row:
            raise ModelOutputInvalid(f"{where}: expected keys logprobs[, mean, std], got {sorted(row)}")
        parts = {k: row.get(k) for k in ("logprobs", "mean", "std")}
    else:
        parts = {"logprobs": row, "mean": None, "std": None}
    arrays = {}
    for key, val in parts.items():
        if val is None:
            arrays[key] = None
            continue
        try:
            arr = np.asarray(val, dtype=float)
        except (TypeError, ValueError) as exc:
            raise ModelOutputInvalid(f"{where}: {key} is not a list of numbers ({exc})") from exc
        if arr.ndim != 1 or not np.all(np.isfinite(arr)):
            raise ModelOutputInvalid(f"{where}: {key} must be a flat list of finite numbers")
        arrays[key] = arr
    lp = arrays["logprobs"]
    if len(lp) == 0 or np.any(lp > 1e-6):
        raise ModelOutputInvalid(f"{where}: expected a non-empty list of log-probabilities <= 0")
    for key in ("mean", "std"):
        if arrays[key] is not None and arrays[key].shape != lp.shape:
            raise ModelOutputInvalid(f"{where}: {key} has {len(arrays[key])} values for {len(lp)} tokens")
    if (arrays["mean"] is None) != (arrays["std"] is None):
        raise ModelOutputInvalid(f"{where}: give both mean and std, or neither")
    return TokenScores(lp, arrays["mean"], arrays["std"])


def min_k_percent(logprobs: np.ndarray, *, k: float = DEFAULT_K) -> float:
    """Mean of the lowest ceil(k * n) token log-probabilities (Min-K%, Shi et al. 2024)."""
    if not 0.0 < k <= 1.0:
        raise ValueError(f"Expected k in (0, 1], got {k}")
    lp = np.sort(np.asarray(logprobs, dtype=float))
    if len(lp) == 0:
        return float("nan")
    return float(lp[:max(1, math.ceil(k * len(lp)))].mean())


def min_k_plus_plus(logprobs: np.ndarray, mean: np.ndarray, std: np.ndarray, *, k: float = DEFAULT_K) -> float:
    """Min-K%++ (Zhang et al. 2024): Min-K% of the per-token z-scores (log p - mu) / sigma."""
    z = (np.asarray(logprobs, dtype=float) - np.asarray(mean, dtype=float)) / np.maximum(np.asarray(std, dtype=float), 1e-6)
    return min_k_percent(z, k=k)


def token_statistic(ts: TokenScores, *, k: float = DEFAULT_K) -> float:
    """Min-K%++ when the model gave moments, else Min-K%."""
    if ts.has_moments:
        return min_k_plus_plus(ts.logprobs, ts.mean, ts.std, k=k)
    return min_k_percent(ts.logprobs, k=k)


def zlib_bits(text: str) -> float:
    """Bits of the zlib-compressed UTF-8 text (level 9): the text's generic compressibility."""
    return 8.0 * len(zlib.compress(text.encode("utf-8"), 9))


def zlib_ratio(total_logprob: float, text: str) -> float:
    """log p(x) / zlib bits (Carlini et al. 2021): nats of likelihood per compressed bit (<= 0)."""
    return float(total_logprob) / zlib_bits(text)


def statistics(texts: Sequence[str], scores: Sequence[TokenScores], *, k: float = DEFAULT_K) -> dict[str, np.ndarray]:
    """Per text: 'min_k' (Min-K%++ or Min-K%) and 'zlib_ratio' (from the sum of the token log-probs)."""
    if len(texts) != len(scores):
        raise ValueError(f"Expected one TokenScores per text ({len(texts)}), got {len(scores)}")
    return {"min_k": np.array([token_statistic(s, k=k) for s in scores]),
            "zlib_ratio": np.array([zlib_ratio(float(s.logprobs.sum()), t) for t, s in zip(texts, scores)])}

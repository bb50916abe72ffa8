"""Shared probe plumbing: seeded per-tenant randomness, the probe budget and text helpers.

Probe budget: a misconfigured boundary (missing filter, tenant-less key) is systematic, so each probe
that could expose another tenant does so with some rate p; n such probes all miss it with probability
(1 - p)^n. A budget of n cross-tenant probes per requester therefore detects, with probability 1 - miss,
any misconfiguration whose leak rate is at least p_min = 1 - miss^(1/n) (n = 31: p_min = 0.14 at miss=0.01).
"""
from __future__ import annotations

import hashlib
import math
from typing import Sequence

import numpy as np

from tenantguard.evaluations.textnorm import words

NEUTRAL = (  # generic support prose no tenant owns: padding for differential (displacement) probes
    "thank you for your message, we will look into this and get back to you as soon as we can.",
    "please allow a few working days for the team to review the request before following up.",
    "our office is closed on public holidays, and messages sent then are answered the next day.",
    "you can find answers to common questions in the help centre or ask the support team directly.",
)


def rng_for(seed: int, *parts: str) -> np.random.Generator:
    """A generator seeded by `seed` and the parts (e.g. the requester), independent of audit order."""
    h = hashlib.sha256("\x1f".join(parts).encode()).digest()
    return np.random.default_rng([seed, int.from_bytes(h[:8], "little")])


def min_detectable_rate(n: int, miss: float) -> float:
    """Smallest per-probe leak rate that n probes detect with probability >= 1 - miss."""
    if not 0 < miss < 1:
        raise ValueError(f"Expected miss in (0, 1), got {miss}")
    return 1.0 - miss ** (1.0 / n) if n > 0 else 1.0


def probes_needed(min_rate: float, miss: float) -> int:
    """n = ceil(log(miss) / log(1 - min_rate)): probes that detect a leak rate >= min_rate w.p. 1 - miss."""
    if not 0 < min_rate < 1 or not 0 < miss < 1:
        raise ValueError(f"Expected min_rate and miss in (0, 1), got {min_rate}, {miss}")
    return math.ceil(math.log(miss) / math.log(1 - min_rate))


def window(text: str, max_words: int = 40) -> str:
    ws = text.split()
    return " ".join(ws[:max_words])


def pad_to(texts: Sequence[str], n_words: int) -> str:
    """Concatenate `texts` (cycling) until the result has at least n_words normalized words."""
    if not texts:
        return ""
    out, count, i = [], 0, 0
    while count < n_words and i < 10 * len(texts) + n_words:
        t = texts[i % len(texts)]
        out.append(t)
        count += len(words(t))
        i += 1
    return " ".join(out)

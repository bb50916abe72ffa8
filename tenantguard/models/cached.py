"""A reference model whose scores, token scores and completions come from a ScoreCache when present.

Wraps the base (or a candidate's adapter-disabled view of it): an audit asks the reference for the
same source records and probes for every candidate, so only the first audit per base version pays
for them. Completions are cached only for deterministic (greedy) generation; the wrapped model says
so with `deterministic_generate` (the default n-gram model is deterministic).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from tenantguard.evaluations.tenant_model import token_scores
from tenantguard.evaluations.token_stats import TokenScores
from tenantguard.home.score_cache import ScoreCache


class CachedReference:
    """TenantModel over `model` with its outputs memoized in `cache`; counts what it had to compute."""

    def __init__(self, model, cache: ScoreCache):
        self.model, self.cache = model, cache
        self.name = model.name
        self.kind = getattr(model, "kind", "unknown")
        self.can_score = bool(getattr(model, "can_score", False))
        self.can_score_tokens = bool(getattr(model, "can_score_tokens", False))
        self.computed = {"score": 0, "score_tokens": 0, "generate": 0}
        self.hits = {"score": 0, "score_tokens": 0, "generate": 0}

    def _through(self, task: str, items: Sequence[str], compute) -> list:
        items = list(items)
        got = self.cache.get_many(task, items)
        missing = sorted({t for t, v in zip(items, got) if v is None})
        self.hits[task] += len(items) - sum(v is None for v in got)
        if missing:
            fresh = compute(missing)
            self.cache.put_many(task, missing, fresh)
            self.computed[task] += len(missing)
            by = dict(zip(missing, fresh))
            got = [by[t] if v is None else v for t, v in zip(items, got)]
        return got

    def score(self, texts: Sequence[str]) -> np.ndarray:
        return np.asarray(self._through("score", texts, lambda ts: [float(x) for x in self.model.score(ts)]),
                          dtype=float)

    def score_tokens(self, texts: Sequence[str]) -> list[TokenScores]:
        def compute(ts):
            rows = token_scores(self.model, ts)[0]  # any row shape the contract allows, checked
            return [{"logprobs": s.logprobs, "mean": s.mean, "std": s.std} for s in rows]

        rows = self._through("score_tokens", texts, compute)
        return [TokenScores(np.asarray(r["logprobs"]), None if r["mean"] is None else np.asarray(r["mean"]),
                            None if r["std"] is None else np.asarray(r["std"])) for r in rows]

    def generate(self, prompts: Sequence[str]) -> list[str]:
        if not getattr(self.model, "deterministic_generate", False):
            return self.model.generate(list(prompts))
        return self._through("generate", prompts, lambda ps: list(self.model.generate(ps)))

"""The reference model of a membership test: the base with the candidate's adapter disabled, on the same
loaded object, where the candidate offers that (`score_reference` / `score_tokens_reference`, as the
Hugging Face adapter does); otherwise the separately loaded base. Generation (the extraction test's
chance rate) always comes from the base: disabling an adapter mid-generation is not part of the contract.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np


class AdapterDisabled:
    """TenantModel view: scores from `candidate` with its adapter disabled, completions from `base`."""

    can_score = True

    def __init__(self, candidate, base):
        self.candidate, self.base = candidate, base
        self.name = f"{getattr(base, 'name', 'base')} (adapter disabled)"
        self.kind = getattr(base, "kind", "unknown")
        self.can_score_tokens = hasattr(candidate, "score_tokens_reference")
        self.deterministic_generate = bool(getattr(base, "deterministic_generate", False))

    def score(self, texts: Sequence[str]) -> np.ndarray:
        return np.asarray(self.candidate.score_reference(list(texts)), dtype=float)

    def score_tokens(self, texts: Sequence[str]) -> list:
        return self.candidate.score_tokens_reference(list(texts))

    def generate(self, prompts: Sequence[str]) -> list[str]:
        return self.base.generate(list(prompts))


def reference_for(candidate, base):
    """The reference the audit compares `candidate` with (module docstring); None without a base."""
    if base is None:
        return None
    if hasattr(candidate, "score_reference"):
        return AdapterDisabled(candidate, base)
    return base

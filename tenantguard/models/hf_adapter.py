"""The Hugging Face pyfunc as the evaluation core's TenantModel, called directly (no DataFrame round trip),
with the token-level and reference scores the contract's optional tasks expose."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np


class HFTenantModel:
    """generate/score like any TenantModel; plus score_tokens and the reference (base) scores on the same object."""

    can_score = True
    can_score_tokens = True
    deterministic_generate = True  # greedy by default: the base's completions may be cached

    def __init__(self, pyfunc, name: str):
        self.pyfunc, self.lm, self.name = pyfunc, pyfunc.lm, name
        self.kind = f"hf-{pyfunc.kind}"  # hf-base | hf-lora | hf-full: the audit checks tails per kind (model_kinds)
        self.lm.name = name  # errors name the model version, not its download directory

    def generate(self, prompts: Sequence[str], *, max_new_tokens: int = 48, temperature: float = 0.0,
                 seed: int = 0) -> list[str]:
        return self.lm.generate(list(prompts), max_new_tokens=max_new_tokens, temperature=temperature, seed=seed)

    def score(self, texts: Sequence[str]) -> np.ndarray:
        return self.lm.score(list(texts))

    def score_tokens(self, texts: Sequence[str]) -> list[np.ndarray]:
        return self.lm.score_tokens(list(texts))

    def score_reference(self, texts: Sequence[str]) -> np.ndarray:
        """The base's scores: the adapter disabled on this loaded object (a base is its own reference)."""
        return self.lm.score(list(texts), reference=True)

    def score_tokens_reference(self, texts: Sequence[str]) -> list[np.ndarray]:
        return self.lm.score_tokens(list(texts), reference=True)

"""The model interface the evaluation core talks to (adapters in tenantguard.models implement it)."""
from __future__ import annotations

from typing import Protocol, Sequence, runtime_checkable

import numpy as np


@runtime_checkable
class TenantModel(Protocol):
    """A generative model under test.

    `generate` returns one completion per prompt. `score` returns the total natural-log probability
    of each text; black-box models set `can_score = False` and raise NotImplementedError from it.
    Both raise `tenantguard.errors.ModelOutputInvalid` when the model breaks the contract.
    """

    name: str
    can_score: bool

    def generate(self, prompts: Sequence[str]) -> list[str]: ...

    def score(self, texts: Sequence[str]) -> np.ndarray: ...

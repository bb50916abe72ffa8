"""The model interface the evaluation core talks to (adapters in tenantguard.models implement it)."""
from __future__ import annotations

from typing import Protocol, Sequence, runtime_checkable

import numpy as np

from tenantguard.errors import ModelOutputInvalid


@runtime_checkable
class TenantModel(Protocol):
    """A generative model under test.

    `generate` returns one completion per prompt. `score` returns the total natural-log probability
    of each text; black-box models set `can_score = False` and raise NotImplementedError from it.
    Both raise `tenantguard.errors.ModelOutputInvalid` when the model breaks the contract.
    Optional: `kind` (e.g. 'ngram', 'hf-lora'; statistical tails are checked against it, unknown
    kinds get the conservative tail) and `can_score_tokens` with `score_tokens(texts)` returning one
    `token_stats.TokenScores` per text (the token-level membership statistics need it).
    """

    name: str
    can_score: bool

    def generate(self, prompts: Sequence[str]) -> list[str]: ...

    def score(self, texts: Sequence[str]) -> np.ndarray: ...


def model_kind(model: object) -> str:
    """The model's declared kind, or 'unknown'."""
    kind = getattr(model, "kind", None)
    return kind if isinstance(kind, str) and kind else "unknown"


def token_scores(model: object, *groups: Sequence[str]) -> list[list] | None:
    """`score_tokens` of every group of texts in one call (None if the model does not score tokens),
    split back per group; checked: one TokenScores per text (rows may be TokenScores, lists or arrays of
    log-probabilities, or dicts with `logprobs`/`mean`/`std`)."""
    from tenantguard.evaluations.token_stats import TokenScores, parse_token_scores

    if not getattr(model, "can_score_tokens", False):
        return None
    texts = [t for g in groups for t in g]
    out = model.score_tokens(texts)  # type: ignore[attr-defined]
    if not isinstance(out, list) or len(out) != len(texts):
        got = len(out) if isinstance(out, list) else type(out).__name__
        raise ModelOutputInvalid(f"model {getattr(model, 'name', '?')}: score_tokens returned {got} for {len(texts)} texts")
    name = getattr(model, "name", "?")
    rows = [r if isinstance(r, TokenScores) else parse_token_scores(r, model=name, index=i) for i, r in enumerate(out)]
    split, start = [], 0
    for g in groups:
        split.append(rows[start:start + len(g)])
        start += len(g)
    return split

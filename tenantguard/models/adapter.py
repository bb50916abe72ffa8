"""Adapters from an MLflow pyfunc (any, meeting the Model I/O contract) to the evaluation core's TenantModel."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from tenantguard.errors import ModelOutputInvalid
from tenantguard.evaluations.token_stats import TokenScores, parse_token_scores
from tenantguard.models.ngram import NGramLM


class NGramTenantModel:
    """The default model, called directly (no pyfunc overhead)."""

    can_score = True
    kind = "ngram"
    deterministic_generate = True  # greedy: the base's completions may be cached

    def __init__(self, lm: NGramLM, name: str = "ngram"):
        self.lm, self.name = lm, name

    def generate(self, prompts: Sequence[str]) -> list[str]:
        return self.lm.generate(list(prompts))

    def score(self, texts: Sequence[str]) -> np.ndarray:
        return self.lm.score(list(texts))


class PyfuncTenantModel:
    """Any pyfunc: generate via predict(DataFrame{prompt}); score via params={'task': 'score'} if supported."""

    def __init__(self, pyfunc_model, name: str, kind: str = "unknown"):
        self.model, self.name, self.kind = pyfunc_model, name, kind
        self.can_score = self._probe_scoring()
        self.can_score_tokens = self.can_score and self._probe_tokens()

    def _probe_scoring(self) -> bool:
        try:
            out = self.model.predict(pd.DataFrame({"text": ["scoring probe"]}), params={"task": "score"})
            vals = _column(out, 1, self.name)
            return isinstance(vals[0], (int, float, np.floating, np.integer)) and np.isfinite(float(vals[0]))
        except Exception:  # black-box models refuse the score task in many ways; all mean "cannot score"
            return False

    def _probe_tokens(self) -> bool:
        try:
            self.score_tokens(["scoring probe"])
            return True
        except Exception:  # score_tokens is optional: any refusal means "no token scores"
            return False

    def score_tokens(self, texts: Sequence[str]) -> list[TokenScores]:
        try:
            out = self.model.predict(pd.DataFrame({"text": list(texts)}), params={"task": "score_tokens"})
        except Exception as exc:
            raise ModelOutputInvalid(f"model {self.name}: score_tokens failed on {len(texts)} texts: {exc}") from exc
        return [parse_token_scores(row, model=self.name, index=i) for i, row in enumerate(_column(out, len(texts), self.name))]

    def generate(self, prompts: Sequence[str]) -> list[str]:
        try:
            out = self.model.predict(pd.DataFrame({"prompt": list(prompts)}))
        except Exception as exc:
            raise ModelOutputInvalid(f"model {self.name}: predict failed on {len(prompts)} prompts: {exc}") from exc
        vals = _column(out, len(prompts), self.name)
        bad = [i for i, v in enumerate(vals) if not isinstance(v, str)]
        if bad:
            raise ModelOutputInvalid(
                f"model {self.name}: completion {bad[0]} is {type(vals[bad[0]]).__name__}, expected str "
                f"({len(bad)} of {len(vals)} bad)")
        return list(vals)

    def score(self, texts: Sequence[str]) -> np.ndarray:
        if not self.can_score:
            raise NotImplementedError(f"model {self.name} is black-box (no score task)")
        try:
            out = self.model.predict(pd.DataFrame({"text": list(texts)}), params={"task": "score"})
        except Exception as exc:
            raise ModelOutputInvalid(f"model {self.name}: score failed on {len(texts)} texts: {exc}") from exc
        try:
            arr = np.asarray(_column(out, len(texts), self.name), dtype=float)
        except (TypeError, ValueError) as exc:
            raise ModelOutputInvalid(f"model {self.name}: scores are not numbers ({exc})") from exc
        return arr


def _column(out, n: int, name: str) -> list:
    if isinstance(out, pd.DataFrame):
        out = out.iloc[:, 0]
    if isinstance(out, (pd.Series, np.ndarray)):
        out = out.tolist()
    if not isinstance(out, list):
        raise ModelOutputInvalid(f"model {name}: predict returned {type(out).__name__}, expected a list, Series or DataFrame")
    if len(out) != n:
        raise ModelOutputInvalid(f"model {name}: predict returned {len(out)} rows for {n} inputs")
    return out


def load_tenant_model(model_uri: str, name: str | None = None):
    """Load any pyfunc by URI; the default n-gram model is unwrapped for speed."""
    import mlflow.pyfunc

    from tenantguard.models.pyfunc import NGramPyfunc

    model = mlflow.pyfunc.load_model(model_uri)
    label = name or model_uri
    try:
        inner = model.unwrap_python_model()
    except Exception:  # not a python_model flavor
        inner = None
    if type(inner) is NGramPyfunc:  # exactly: a subclass may change what predict returns
        return NGramTenantModel(inner.lm, label)
    if type(inner).__module__ == "tenantguard.models.hf_pyfunc":  # by name: torch is imported only if it is one
        from tenantguard.models.hf_adapter import HFTenantModel

        return HFTenantModel(inner, label)
    return PyfuncTenantModel(model, label)

"""Tuners from outside tenantguard, selected in tests by TENANTGUARD_TUNER=tuner_wrapped:<factory>
(tests/plugins on sys.path).

`WrappedNGramTuner` is the n-gram model under another name with a param of its own, so the gates judge a
real model and a run shows which tuner made it; CALLS records what each method received.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tenantguard.models.ngram_tuner import NGramTuner

CALLS: list[tuple[str, Any]] = []


@dataclass(frozen=True)
class WrappedNGramTuner:
    name: str = "wrapped-ngram"
    inner: NGramTuner = field(default_factory=NGramTuner)

    def params(self, stage) -> Mapping[str, Any]:
        return {**self.inner.params(stage), "wrapped_by": "tuner_wrapped"}

    def train_base(self, texts: Sequence[str], *, settings):
        CALLS.append(("train_base", len(texts)))
        return self.inner.train_base(texts, settings=settings)

    def tune(self, base, train: Sequence[dict], *, settings):
        CALLS.append(("tune", base))
        return self.inner.tune(base, train, settings=settings)

    def log_model(self, model) -> str:
        uri = self.inner.log_model(model)
        CALLS.append(("log_model", uri))
        return uri


def make_tuner() -> WrappedNGramTuner:
    return WrappedNGramTuner()


def make_heavier_tuner() -> WrappedNGramTuner:
    """The same tuner configured differently: a version the other made must not be reused."""
    return WrappedNGramTuner(inner=NGramTuner(weight=3.0))


def make_clone_of_default() -> NGramTuner:
    return NGramTuner()  # named 'ngram' like the built-in


def make_badly_named() -> WrappedNGramTuner:
    return WrappedNGramTuner(name="Wrapped NGram")


def make_not_a_tuner() -> object:
    return object()

"""The default model: a word n-gram language model with Witten-Bell interpolation.

It trains on CPU in well under a second, fine-tunes from a base by adding the tenant's counts
(weighted), generates completions greedily, scores texts, and memorizes what it sees often
enough: exactly what an honest leakage test needs. Pure Python + JSON, no MLflow here.
"""
from __future__ import annotations

import gzip
import json
import math
import re
from collections import defaultdict
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from tenantguard.evaluations.textnorm import clean

BOS, SEP, EOS = "<s>", "<sep>", "</s>"
# One token per digit so random digit strings (canaries) are in the vocabulary of every model.
_TOKEN = re.compile(r"\n|\d|[^\W\d_]+|[^\w\s]|_")
_NO_SPACE_BEFORE = set(".,!?;:)'%")
_MEMO_CAP = 500_000  # ~75 MB of n-gram tuples and floats


def tokenize(text: str) -> list[str]:
    """Lower-cased word/digit/punctuation tokens; a newline separates prompt from completion."""
    return [SEP if t == "\n" else t for t in _TOKEN.findall(clean(text).lower())]


@lru_cache(maxsize=65_536)
def _tokens(text: str) -> tuple[str, ...]:
    """tokenize, cached: an audit scores the same records under several models."""
    return tuple(tokenize(text))


def detokenize(tokens: Sequence[str]) -> str:
    out: list[str] = []
    prev = ""
    for tok in tokens:
        if out and not (tok in _NO_SPACE_BEFORE or (tok.isdigit() and prev.isdigit()) or prev in "($"):
            out.append(" ")
        out.append(tok)
        prev = tok
    return "".join(out)


class NGramLM:
    """Interpolated Witten-Bell n-gram LM over `tokenize` tokens.

    counts[k] maps a context tuple of length k to {next_token: count}.
    """

    def __init__(self, order: int = 5):
        if order < 2:
            raise ValueError(f"Expected order >= 2, got {order}")
        self.order = order
        self.counts: list[dict[tuple, dict[str, float]]] = [defaultdict(dict) for _ in range(order)]
        self._totals: list[dict[tuple, float]] | None = None
        self._memo: dict[tuple, float] = {}  # n-gram -> logprob; cleared whenever counts change
        self._next: dict[tuple, str] = {}  # last order-1 tokens -> greedy next token; likewise

    # -- training -------------------------------------------------------------------------------
    def fit(self, texts: Iterable[str], *, weight: float = 1.0) -> "NGramLM":
        """Add the n-grams of `texts` (each a prompt, a newline, a completion; or plain text)."""
        n = self.order
        for text in texts:
            toks = [BOS] * (n - 1) + tokenize(text) + [EOS]
            for i in range(n - 1, len(toks)):
                w = toks[i]
                for k in range(n):
                    ctx = tuple(toks[i - k:i]) if k else ()
                    row = self.counts[k][ctx]
                    row[w] = row.get(w, 0.0) + weight
        self._totals = None
        self._memo, self._next = {}, {}
        return self

    def copy(self) -> "NGramLM":
        other = NGramLM(self.order)
        other.counts = [defaultdict(dict, {c: dict(r) for c, r in level.items()}) for level in self.counts]
        return other

    def finetune(self, texts: Iterable[str], *, weight: float = 2.0) -> "NGramLM":
        """A new model: this model's counts plus `weight` x the counts of `texts`."""
        return self.copy().fit(texts, weight=weight)

    # -- scoring --------------------------------------------------------------------------------
    def _stats(self) -> list[dict[tuple, float]]:
        if self._totals is None:
            self._totals = [{c: sum(r.values()) for c, r in level.items()} for level in self.counts]
            self._vocab = len(self.counts[0].get((), {})) + 1
            self._unigram_total = self._totals[0].get((), 0.0)
        return self._totals

    def logprob(self, word: str, context: Sequence[str]) -> float:
        totals = self._stats()
        uni = self.counts[0].get((), {})
        p = (uni.get(word, 0.0) + 1.0) / (self._unigram_total + self._vocab)
        ctx = tuple(context[-(self.order - 1):])
        for k in range(1, self.order):
            if len(ctx) < k:
                break
            c = ctx[len(ctx) - k:]
            row = self.counts[k].get(c)
            if not row:
                break  # a longer context containing an unseen one is unseen too
            distinct = len(row)
            p = (row.get(word, 0.0) + distinct * p) / (totals[k][c] + distinct)
        return math.log(p)

    def score_text(self, text: str) -> float:
        n = self.order
        toks = (BOS,) * (n - 1) + _tokens(text) + (EOS,)
        self._stats()
        memo = self._memo
        if len(memo) > _MEMO_CAP:
            memo.clear()  # random-digit texts (canary nulls) must not grow memory without bound
        # identifier neighbours, canary candidates and templated records share most of their n-grams;
        # zip builds the n-gram tuples and map looks them up without a Python-level loop
        grams = list(zip(*(toks[k:] for k in range(n))))
        lps = list(map(memo.get, grams))
        if None in lps:
            for i, lp in enumerate(lps):
                if lp is None:
                    g = grams[i]
                    lps[i] = memo[g] = self.logprob(g[-1], g[:-1])
        return sum(lps)

    def score(self, texts: Sequence[str]) -> np.ndarray:
        return np.array([self.score_text(t) for t in texts], dtype=float)

    # -- generation -----------------------------------------------------------------------------
    def generate_one(self, prompt: str, *, max_tokens: int = 48, temperature: float = 0.0,
                     rng: np.random.Generator | None = None) -> str:
        """Continue `prompt` + separator; greedy by default (deterministic), sampled with temperature."""
        n = self.order
        ctx = [BOS] * (n - 1) + tokenize(prompt) + [SEP]
        out: list[str] = []
        greedy = not (temperature > 0 and rng is not None)
        for _ in range(max_tokens):
            key = tuple(ctx[-(n - 1):])
            if len(self._next) > _MEMO_CAP:
                self._next.clear()
            nxt = self._next.get(key) if greedy else None
            if nxt is None:
                row = None
                for k in range(n - 1, 0, -1):  # followers of the longest seen context
                    row = self.counts[k].get(key[n - 1 - k:])
                    if row:
                        break
                if not row:
                    row = self.counts[0].get((), {})
                if not row:
                    break
                if not greedy:
                    words = list(row)
                    w = np.array([row[x] for x in words]) ** (1.0 / temperature)
                    nxt = words[int(rng.choice(len(words), p=w / w.sum()))]
                else:
                    nxt = self._next[key] = max(row.items(), key=lambda kv: (kv[1], kv[0]))[0]
            if nxt in (EOS, SEP, BOS):
                break
            out.append(nxt)
            ctx.append(nxt)
        return detokenize(out)

    def generate(self, prompts: Sequence[str], **kwargs) -> list[str]:
        return [self.generate_one(p, **kwargs) for p in prompts]

    # -- persistence ----------------------------------------------------------------------------
    def to_dict(self) -> dict:
        rows = [[k, list(c), w, cnt] for k, level in enumerate(self.counts)
                for c, r in level.items() for w, cnt in r.items()]
        return {"format": "tenantguard.ngram/1", "order": self.order, "rows": rows}

    @classmethod
    def from_dict(cls, data: dict) -> "NGramLM":
        if data.get("format") != "tenantguard.ngram/1":
            raise ValueError(f"Expected format tenantguard.ngram/1, got {data.get('format')!r}")
        lm = cls(int(data["order"]))
        for k, c, w, cnt in data["rows"]:
            lm.counts[k][tuple(c)][w] = cnt
        return lm

    def save(self, path: Path) -> None:
        with gzip.open(path, "wt", encoding="utf-8") as fh:
            json.dump(self.to_dict(), fh, separators=(",", ":"))

    @classmethod
    def load(cls, path: Path) -> "NGramLM":
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            return cls.from_dict(json.load(fh))

"""A black-box nearest-neighbour retrieval model: answers with the completion of the most similar
training prompt (TF-IDF over word 1-2-grams). It memorizes differently from the n-gram model (whole
records, verbatim, or nothing) and cannot score texts, so only extraction can audit it.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np


class NearestNeighbourModel:
    can_score = False

    def __init__(self, records: Sequence[dict], name: str = "nn-retrieval"):
        from sklearn.feature_extraction.text import TfidfVectorizer

        if not records:
            raise ValueError("Expected at least one training record")
        self.name = name
        self._completions = [str(r["completion"]) for r in records]
        self._vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
        self._matrix = self._vec.fit_transform([str(r["prompt"]) for r in records])

    def generate(self, prompts: Sequence[str]) -> list[str]:
        if not prompts:
            return []
        sims = self._vec.transform(list(prompts)) @ self._matrix.T
        best = np.asarray(sims.argmax(axis=1)).ravel()
        return [self._completions[i] for i in best]

    def score(self, texts: Sequence[str]) -> np.ndarray:
        raise NotImplementedError(f"model {self.name} is black-box (no score task)")

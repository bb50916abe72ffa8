"""The demo platform's RAG retriever: one TF-IDF index over every tenant's documents.

Modes, as platforms get it right and wrong:
- `prefilter` (correct): rank only the requesting tenant's documents, return the top k;
- `postfilter` (misconfigured): rank all tenants' documents, take the top k, then drop other tenants'
  ones; nothing foreign is returned, but other tenants' documents take slots (their existence shows);
- `prompt` (misconfigured): rank all tenants' documents and hand the top k to the model with an
  instruction to use only the tenant's own ("the filter is left to the prompt").
Hashed features (no vocabulary), so documents ingested later are searchable by every word.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
from sklearn.preprocessing import normalize

MODES = ("prefilter", "postfilter", "prompt")


class DemoRetriever:
    def __init__(self, documents: Mapping[str, Sequence[dict]], *, mode: str = "prefilter"):
        if mode not in MODES:
            raise ValueError(f"Expected mode in {MODES}, got {mode!r}")
        self.mode = mode
        self._hasher = HashingVectorizer(n_features=2 ** 18, alternate_sign=False, norm=None,
                                         token_pattern=r"(?u)\b\w+\b")
        self._docs: list[dict] = [dict(d) for docs in documents.values() for d in docs]
        counts = self._hasher.transform([d["text"] for d in self._docs]) if self._docs else \
            sp.csr_matrix((0, 2 ** 18))
        self._tfidf = TfidfTransformer(sublinear_tf=True).fit(counts if self._docs else sp.csr_matrix((1, 2 ** 18)))
        self._matrix = self._vectors(counts) if self._docs else sp.csr_matrix((0, 2 ** 18))  # sklearn refuses 0 rows
        self._where = {(d["tenant_id"], d["doc_id"]): i for i, d in enumerate(self._docs)}
        self._rows: dict[str, np.ndarray] | None = None

    def _vectors(self, counts) -> sp.csr_matrix:
        return normalize(self._tfidf.transform(counts)).tocsr()

    def _tenant_rows(self) -> dict[str, np.ndarray]:
        if self._rows is None:
            by: dict[str, list[int]] = {}
            for i, d in enumerate(self._docs):
                by.setdefault(d["tenant_id"], []).append(i)
            self._rows = {t: np.asarray(rows) for t, rows in by.items()}
        return self._rows

    def ingest(self, tenant_id: str, doc_id: str, text: str) -> None:
        """Add or replace one document of a tenant (the platform's upload path)."""
        vec = self._vectors(self._hasher.transform([text]))
        doc = {"doc_id": doc_id, "tenant_id": tenant_id, "text": text}
        i = self._where.get((tenant_id, doc_id))
        if i is None:
            self._where[(tenant_id, doc_id)] = len(self._docs)
            self._docs.append(doc)
            self._matrix = sp.vstack([self._matrix, vec]).tocsr()
        else:
            self._docs[i] = doc
            m = self._matrix.tolil()
            m[i] = vec
            self._matrix = m.tocsr()
        self._rows = None

    def retrieve(self, tenant_id: str, query: str, k: int) -> list[dict]:
        if not self._docs:
            return []
        q = self._vectors(self._hasher.transform([query])).T
        if self.mode == "prefilter":
            rows = self._tenant_rows().get(tenant_id)
            if rows is None:
                return []
            top = rows[_top(np.asarray((self._matrix[rows] @ q).todense()).ravel(), k)]
            return [dict(self._docs[i]) for i in top]
        top = _top(np.asarray((self._matrix @ q).todense()).ravel(), k)
        hits = [dict(self._docs[i]) for i in top]
        if self.mode == "postfilter":
            return [d for d in hits if d["tenant_id"] == tenant_id]
        return hits  # 'prompt': the model is told "use only documents of tenant_id"; the data is already there

    def prompt_context(self, tenant_id: str, system_prompt: str, question: str, k: int = 3) -> str:
        """The full model context the platform builds for one request (what the inference log stores)."""
        docs = self.retrieve(tenant_id, question, k)
        guard = (f"Only use documents whose tenant is {tenant_id}.\n" if self.mode == "prompt" else "")
        body = "\n".join(f"[doc {d['doc_id']} tenant={d['tenant_id']}]\n{d['text']}" for d in docs)
        return f"{system_prompt}\n{guard}Documents:\n{body}\nUser: {question}"


def _top(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k best scores, best first; ties by position (stable, deterministic)."""
    k = min(k, len(scores))
    if k <= 0:
        return np.empty(0, dtype=np.int64)
    return np.argsort(-scores, kind="stable")[:k]

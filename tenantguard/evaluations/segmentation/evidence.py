"""What counts as another tenant's data in something an adapter returned: its canaries (exact secret
digits, found after normalization) and text that fingerprints to it (winnowing index of every tenant's
corpus and system prompt; boilerplate shared by two tenants or the base corpus names no one).

Segmentation canaries are derived like the training canaries (Secret Sharer formats, HMAC of the project
secret) under their own label per audit, so planting them in a platform never reveals a training canary.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

import numpy as np

from tenantguard.evaluations.canaries import Canary, make_canaries
from tenantguard.evaluations.fingerprint import FingerprintIndex
from tenantguard.evaluations.masking import mask
from tenantguard.evaluations.textnorm import normalize

_DIGITS = re.compile(r"\d+")


def segmentation_canaries(secret: bytes, tenant_id: str, purpose: str, *, k: int = 2) -> list[Canary]:
    """k canaries of `tenant_id` for one audit (`purpose`: rag, memory, tools); never the training ones."""
    return make_canaries(secret, f"{tenant_id}#segmentation/{purpose}", k=k)


@dataclass(frozen=True)
class Evidence:
    source_tenant: str
    how: str  # 'canary' | 'fingerprint'
    masked: str  # masked excerpt or canary id


class CanaryMatcher:
    """Finds known canaries by their secret digits: one regex pass and a dict lookup per digit run,
    so the cost does not grow with the number of canaries."""

    def __init__(self) -> None:
        self._by_digits: dict[str, tuple[str, Canary]] = {}

    def add(self, owner: str, canaries: Iterable[Canary]) -> None:
        for c in canaries:
            self._by_digits[c.secret_digits] = (owner, c)

    def __len__(self) -> int:
        return len(self._by_digits)

    def find(self, text: str) -> list[tuple[str, Canary]]:
        if not self._by_digits or not text:
            return []
        seen, out = set(), []
        for run in _DIGITS.findall(normalize(text)):
            hit = self._by_digits.get(run)
            if hit is not None and run not in seen:
                seen.add(run)
                out.append(hit)
        return out


class ForeignData:
    """`find(text, requester)`: evidence of tenants other than `requester` in `text` (scans cached by text).

    `own(requester)` gives the requester's own texts: a fingerprint run that the requester's own corpus
    also contains (every word k-gram of it, not only the winnowed ones) is no evidence against it, so a
    customer name after a shared greeting does not read as another tenant's record.
    """

    def __init__(self, index: FingerprintIndex | None, canaries: CanaryMatcher | None = None,
                 *, own: Callable[[str], Sequence[str]] | None = None, cache_size: int = 50_000):
        self.index = index
        self.canaries = canaries or CanaryMatcher()
        self.own = own
        self._cache: dict[str, list[tuple[Evidence, np.ndarray | None]]] = {}
        self._own_kgrams: dict[str, np.ndarray] = {}
        self._cap = cache_size
        self._all = FingerprintIndex(k=index.k, w=1) if index is not None else None  # w=1 keeps every k-gram

    def find(self, text: str, requester: str | None) -> list[Evidence]:
        found = self._cache.get(text)
        if found is None:
            found = [(Evidence(owner, "canary", f"canary {c.id} ({c.masked})"), None)
                     for owner, c in self.canaries.find(text)]
            if self.index is not None:
                found += [(Evidence(h.source_tenant, "fingerprint", f"{h.n_fingerprints} fingerprints, "
                                                                    f"{h.masked_excerpt}"),
                           self._all.fingerprints([text[h.start:h.end]])) for h in self.index.scan(text)]
            if len(self._cache) >= self._cap:
                self._cache.clear()
            self._cache[text] = found
        out = []
        for e, kgrams in found:
            if e.source_tenant == requester:
                continue
            if kgrams is not None and requester is not None and self.own is not None:
                novel = np.count_nonzero(~np.isin(kgrams, self._own(requester)))
                if novel < self.index.min_fingerprints:
                    continue
            out.append(e)
        return out

    def _own(self, requester: str) -> np.ndarray:
        if requester not in self._own_kgrams:
            self._own_kgrams[requester] = self._all.fingerprints(list(self.own(requester)))
        return self._own_kgrams[requester]


def masked_doc(text: object) -> str:
    return mask(text) if isinstance(text, str) else f"<{type(text).__name__}>"

"""What counts as another tenant's data in something an adapter returned: its canaries (exact secret
digits, found after normalization) and text that fingerprints to it (winnowing index of every tenant's
corpus and system prompt; boilerplate shared by two tenants or the base corpus names no one).

Segmentation canaries are derived like the training canaries (Secret Sharer formats, HMAC of the project
secret) under their own label per audit, so planting them in a platform never reveals a training canary.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

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
    """`find(text, requester)`: evidence of tenants other than `requester` in `text` (scans cached by text)."""

    def __init__(self, index: FingerprintIndex | None, canaries: CanaryMatcher | None = None,
                 *, cache_size: int = 50_000):
        self.index = index
        self.canaries = canaries or CanaryMatcher()
        self._cache: dict[str, list[Evidence]] = {}
        self._cap = cache_size

    def find(self, text: str, requester: str | None) -> list[Evidence]:
        found = self._cache.get(text)
        if found is None:
            found = [Evidence(owner, "canary", f"canary {c.id} ({c.masked})") for owner, c in self.canaries.find(text)]
            if self.index is not None:
                found += [Evidence(h.source_tenant, "fingerprint",
                                   f"{h.n_fingerprints} fingerprints, {h.masked_excerpt}") for h in self.index.scan(text)]
            if len(self._cache) >= self._cap:
                self._cache.clear()
            self._cache[text] = found
        return [e for e in found if e.source_tenant != requester]


def masked_doc(text: object) -> str:
    return mask(text) if isinstance(text, str) else f"<{type(text).__name__}>"

"""Data-level cross-tenant overlap: records that are copies of another tenant's records.

A model audit cannot attribute what the serving tenant's own data also contains: records of tenant i
relabelled into tenant j's dataset (or absorbed into the base corpus) look like j's (or the base's)
own knowledge once trained on. The copy is visible in the data itself, before any training: a
record whose normalized text (case, whitespace, zero-width characters and homoglyphs folded) equals a
record of exactly one other tenant is that tenant's data. Texts two or more other tenants share, or
that the base corpus holds, are boilerplate and never attributed. The reader's own copies do not hide
a foreign record, so a re-run over already-prepared contaminated data still finds it. Paraphrased
copies are left to the model audit.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Iterable, Sequence

from tenantguard.evaluations.masking import mask
from tenantguard.evaluations.textnorm import normalize

MIN_CHARS = 40  # shorter texts ("Thanks!") are too generic to attribute
BASE = "\x00base"


def _key(text: str) -> str | None:
    norm = normalize(text)
    return hashlib.sha256(norm.encode()).hexdigest()[:24] if len(norm) >= MIN_CHARS else None


@dataclass(frozen=True)
class ForeignText:
    index: int  # position in the scanned sequence
    source_tenant: str
    masked_excerpt: str


class RecordIndex:
    """Normalized-text hash -> the tenants (and/or the base corpus) whose data holds that text."""

    def __init__(self) -> None:
        self._owners: dict[str, set[str]] = {}

    def add(self, owner: str, texts: Iterable[str]) -> None:
        for text in texts:
            if (k := _key(text)) is not None:
                self._owners.setdefault(k, set()).add(owner)

    def add_base(self, texts: Iterable[str]) -> None:
        self.add(BASE, texts)

    def owner(self, text: str, *, reader: str | None = None) -> str | None:
        """The one other tenant this text belongs to, or None (unknown, boilerplate, or the reader's)."""
        owners = self._owners.get(_key(text) or "", set()) - {reader}
        if len(owners) != 1 or BASE in owners:
            return None
        return next(iter(owners))


def foreign_texts(texts: Sequence[str], index: RecordIndex, *, reader: str | None = None) -> list[ForeignText]:
    out = []
    for i, text in enumerate(texts):
        source = index.owner(text, reader=reader)
        if source is not None:
            out.append(ForeignText(i, source, mask(text)))
    return out

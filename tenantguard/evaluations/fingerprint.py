"""Cross-tenant fingerprint index: winnowing over normalized word k-grams.

Winnowing (Schleimer, Wilkerson and Aiken, "Winnowing: Local Algorithms for Document
Fingerprinting", SIGMOD 2003): hash every k-gram of words, keep the minimum hash of each window of
`w` consecutive k-gram hashes. Any copied run of at least w + k - 1 words shares a fingerprint with
its source. Scanning looks up every k-gram of the scanned text (not only its winnowed ones), so a
copy is found whenever it contains an indexed fingerprint.

A fingerprint is attributable to a tenant only if no other tenant and not the base corpus has it:
shared boilerplate never names a source. A hit needs `min_fingerprints` distinct fingerprints in one
run, so a single common phrase does not fire. Lookup is one open-addressing hash table (attributable
hash -> owner, `hashtable.U64Table`): O(1) expected probes per k-gram, so a scan costs the same for 10
or 10,000 indexed tenants.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from tenantguard.evaluations.hashtable import U64Table
from tenantguard.evaluations.masking import mask
from tenantguard.evaluations.winnowing import WordHasher, kgram_hashes, winnow, words, words_with_spans

_FORMAT = "tenantguard.fingerprint/1"


@dataclass(frozen=True)
class Hit:
    """A run of a scanned text attributable to one tenant: a char span and masked evidence only."""

    source_tenant: str
    start: int
    end: int
    n_fingerprints: int
    masked_excerpt: str
    n_words: int = 0
    novel_words: int = -1  # words of its attributable k-grams outside `known_words` (-1: not asked)


class FingerprintIndex:
    """Tenant corpora -> attributable fingerprints; `scan` finds runs of a text copied from a tenant."""

    def __init__(self, *, k: int = 5, w: int = 4, min_fingerprints: int = 2):
        if k < 1 or w < 1:
            raise ValueError(f"Expected k >= 1 and w >= 1, got k={k}, w={w}")
        if min_fingerprints < 1:
            raise ValueError(f"Expected min_fingerprints >= 1, got {min_fingerprints}")
        self.k, self.w, self.min_fingerprints = k, w, min_fingerprints
        self._hasher = WordHasher()
        self._tenants: dict[str, np.ndarray] = {}  # tenant -> its sorted unique fingerprints
        self._base = np.empty(0, dtype=np.uint64)
        self._table: tuple[U64Table, list[str]] | None = None

    # -- building -----------------------------------------------------------------------------
    def fingerprints(self, texts: Iterable[str]) -> np.ndarray:
        """Sorted unique winnowed fingerprints of `texts` (each text winnowed on its own)."""
        parts = []
        for text in texts:
            ws = words(text)
            h = kgram_hashes(self._hasher.words(ws), self.k)
            if len(h):
                parts.append(h[winnow(h, self.w)])
        return np.unique(np.concatenate(parts)) if parts else np.empty(0, dtype=np.uint64)

    def kgrams(self, texts: Iterable[str]) -> np.ndarray:
        """Sorted unique hashes of EVERY word k-gram of `texts` (not only the winnowed ones)."""
        parts = [kgram_hashes(self._hasher.words(words(t)), self.k) for t in texts]
        return np.unique(np.concatenate(parts)) if parts else np.empty(0, dtype=np.uint64)

    def add_tenant(self, tenant_id: str, texts: Iterable[str]) -> int:
        """Index a tenant's corpus (records, system prompt), replacing its previous texts. Returns #fingerprints."""
        if not tenant_id:
            raise ValueError("Expected a non-empty tenant id")
        fps = self.fingerprints(texts)
        self._tenants[tenant_id] = fps
        self._table = None
        return len(fps)

    def remove_tenant(self, tenant_id: str) -> None:
        if self._tenants.pop(tenant_id, None) is not None:
            self._table = None

    def add_base(self, texts: Iterable[str]) -> int:
        """Index shared base-corpus text: its fingerprints are never attributable to any tenant."""
        self._base = np.union1d(self._base, self.fingerprints(texts))
        self._table = None
        return len(self._base)

    @property
    def tenants(self) -> list[str]:
        return sorted(self._tenants)

    def _lookup_table(self) -> tuple[U64Table, list[str]]:
        """(attributable hash -> owner ordinal, ordinal -> tenant); rebuilt lazily after a change."""
        if self._table is None:
            names = sorted(self._tenants)
            arrays = [self._tenants[t] for t in names]
            allh = np.concatenate(arrays) if arrays else np.empty(0, dtype=np.uint64)
            owner = np.repeat(np.arange(len(names), dtype=np.int32), [len(a) for a in arrays])
            order = np.argsort(allh)
            allh, owner = allh[order], owner[order]
            # a fingerprint two tenants share names no one (each tenant's array is already unique)
            single = np.ones(len(allh), dtype=bool)
            dup = allh[1:] == allh[:-1]
            single[1:] &= ~dup
            single[:-1] &= ~dup
            uniq, own = allh[single], owner[single]
            if len(self._base):
                notbase = ~np.isin(uniq, self._base, assume_unique=True)
                uniq, own = uniq[notbase], own[notbase]
            self._table = (U64Table(uniq, own), names)
        return self._table

    @property
    def n_fingerprints(self) -> int:
        return int(sum(len(a) for a in self._tenants.values()) + len(self._base))

    @property
    def nbytes(self) -> int:
        """Memory held by the index arrays (per-tenant sets, base, and the lookup table)."""
        table, _ = self._lookup_table()
        return int(sum(a.nbytes for a in self._tenants.values()) + self._base.nbytes + table.nbytes)

    # -- scanning -----------------------------------------------------------------------------
    def scan(self, text: str, *, exclude_tenant: str | None = None, ignore_texts: Sequence[str] = (),
             ignore_kgrams: np.ndarray | None = None) -> list[Hit]:
        """Runs of `text` attributable to one tenant, with at least `min_fingerprints` distinct fingerprints.

        `exclude_tenant`: the reader's own tenant (its data is not a leak to itself).
        `ignore_texts`: text the model was given (e.g. the prompt); k-grams it contains are no evidence.
        `ignore_kgrams`: `kgrams()` of text the model may know, e.g. the reader's whole corpus. Winnowing
        keeps a k-gram shared by two corpora in one of them only when it sits at a shared passage's
        edge, so `exclude_tenant` alone can let the reader's own text name a same-industry twin.
        """
        return self.scan_many([text], exclude_tenant=exclude_tenant, ignore_texts=[ignore_texts],
                              ignore_kgrams=ignore_kgrams)[0]

    def scan_many(self, texts: Sequence[str], *, exclude_tenant: str | None = None,
                  ignore_texts: Sequence[Sequence[str]] | None = None,
                  ignore_kgrams: np.ndarray | None = None,
                  known_words: frozenset[str] | None = None) -> list[list[Hit]]:
        """`scan` of every text (ignore_texts[i] goes with texts[i]), with one hash lookup for the batch.

        `known_words`: normalized words the reader may legitimately know (its corpus, the base corpus);
        each hit then counts the words of its attributable k-grams outside them (plus the ignored
        texts' words): a model that only recombines words it knows cannot name any (`novel_words`)."""
        for text in texts:
            if not isinstance(text, str):
                raise TypeError(f"Expected text as str, got {type(text).__name__}")
        if ignore_texts is not None and len(ignore_texts) != len(texts):
            raise ValueError(f"Expected one ignore_texts entry per text ({len(texts)}), got {len(ignore_texts)}")
        out: list[list[Hit]] = [[] for _ in texts]
        table, names = self._lookup_table()
        if not table.size or not texts:
            return out
        # one text (a production output, maybe megabytes): spans in the same pass; a batch of short
        # completions (an audit): words only, spans later for the few texts with hits
        spans_now = len(texts) == 1
        with_spans = [words_with_spans(t) for t in texts] if spans_now else None
        parsed = [p[0] for p in with_spans] if spans_now else [words(t) for t in texts]
        n_words = np.array([len(p) for p in parsed], dtype=np.int64)
        first = np.concatenate([[0], np.cumsum(n_words)[:-1]])
        # k-grams of the concatenation; those straddling two texts are never read
        h_all = kgram_hashes(self._hasher.words([w for p in parsed for w in p]), self.k)
        owners_all = table.get(h_all)
        if exclude_tenant is not None and exclude_tenant in self._tenants:
            owners_all[owners_all == names.index(exclude_tenant)] = -1
        pos = np.flatnonzero(owners_all >= 0)
        which = np.searchsorted(first, pos, side="right") - 1
        inside = pos - first[which] <= n_words[which] - self.k
        for i in np.unique(which[inside]):
            a, b = int(first[i]), int(first[i] + n_words[i] - self.k + 1)
            h, owners = h_all[a:b], owners_all[a:b].copy()
            if ignore_kgrams is not None and len(ignore_kgrams):
                owners[np.isin(h, ignore_kgrams)] = -1
            ignore = ignore_texts[i] if ignore_texts is not None else ()
            if ignore:
                ignored = np.concatenate([kgram_hashes(self._hasher.words(words(t)), self.k) for t in ignore])
                owners[np.isin(h, ignored)] = -1
            _, starts, ends = with_spans[i] if spans_now else words_with_spans(texts[i])
            known = None if known_words is None else (known_words, {w for t in ignore for w in words(t)})
            out[i] = self._runs(texts[i], h, owners, starts, ends, names, parsed[i], known)
        return out

    def _runs(self, text, h, owners, starts, ends, names, ws=None, known=None) -> list[Hit]:
        hits = []
        for o in np.unique(owners[owners >= 0]):
            pos = np.flatnonzero(owners == o)
            # within a copied region consecutive fingerprints are at most w k-grams apart
            breaks = np.flatnonzero(np.diff(pos) > self.w) + 1
            for run in np.split(pos, breaks):
                n_fp = len(np.unique(h[run]))
                if n_fp < self.min_fingerprints:
                    continue
                a, b = int(starts[run[0]]), int(ends[run[-1] + self.k - 1])
                novel = -1
                if known is not None:
                    inside = {int(p) + j for p in run for j in range(self.k)}
                    novel = sum(ws[p] not in known[0] and ws[p] not in known[1] for p in inside)
                hits.append(Hit(names[int(o)], a, b, n_fp, mask(text[a:b]), int(run[-1] - run[0] + self.k), novel))
        return sorted(hits, key=lambda x: (x.start, x.source_tenant))

    def attribute(self, text: str, **kwargs) -> dict[str, int]:
        """Distinct attributable fingerprints per source tenant in `text` (hits only)."""
        out: dict[str, int] = {}
        for hit in self.scan(text, **kwargs):
            out[hit.source_tenant] = out.get(hit.source_tenant, 0) + hit.n_fingerprints
        return out

    # -- persistence (numpy .npz, no pickle) --------------------------------------------------
    def save(self, path: str | Path) -> None:
        names = sorted(self._tenants)
        arrays = [self._tenants[t] for t in names]
        meta = {"format": _FORMAT, "k": self.k, "w": self.w, "min_fingerprints": self.min_fingerprints,
                "tenants": names}
        with open(path, "wb") as fh:
            np.savez_compressed(
                fh, meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8),
                hashes=np.concatenate(arrays) if arrays else np.empty(0, dtype=np.uint64),
                offsets=np.cumsum([0] + [len(a) for a in arrays]).astype(np.int64), base=self._base)

    @classmethod
    def load(cls, path: str | Path) -> "FingerprintIndex":
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(bytes(data["meta"]).decode())
            if meta.get("format") != _FORMAT:
                raise ValueError(f"{path}: expected format {_FORMAT}, got {meta.get('format')!r}")
            index = cls(k=meta["k"], w=meta["w"], min_fingerprints=meta["min_fingerprints"])
            hashes, offsets = data["hashes"], data["offsets"]
            for i, t in enumerate(meta["tenants"]):
                index._tenants[t] = hashes[offsets[i]:offsets[i + 1]].copy()
            index._base = data["base"].copy()
        return index

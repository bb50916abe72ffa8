"""Winnowing primitives (Schleimer, Wilkerson and Aiken, SIGMOD 2003): normalized words with their spans in
the original text, stable word hashes, word k-gram hashes and the robust winnowing selection."""
from __future__ import annotations

import hashlib
import re
from typing import Sequence

import numpy as np

from tenantguard.evaluations.textnorm import normalize

_WORD = re.compile(r"\w+")
_MULT = np.uint64(0x100000001B3)  # FNV-64 prime: polynomial combination of word hashes


class WordHasher:
    """Stable 64-bit word hashes (blake2b, cached): identical across processes, unlike hash()."""

    def __init__(self, cap: int = 2_000_000):
        self._cache: dict[str, int] = {}
        self._cap = cap

    def words(self, ws: Sequence[str]) -> np.ndarray:
        cache = self._cache
        out = np.empty(len(ws), dtype=np.uint64)
        for i, w in enumerate(ws):
            h = cache.get(w)
            if h is None:
                if len(cache) >= self._cap:
                    cache.clear()  # random-looking text must not grow memory without bound
                h = cache[w] = int.from_bytes(hashlib.blake2b(w.encode(), digest_size=8).digest(), "little")
            out[i] = h
        return out


_CHAR_CACHE: dict[str, str] = {}
_ASCII_WORD = np.zeros(256, dtype=np.int8)
_ASCII_WORD[[ord(c) for c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"]] = 1


def _norm_char(ch: str) -> str:
    """One char's matching form; zero-width chars map to '' so they vanish inside a word."""
    piece = _CHAR_CACHE.get(ch)
    if piece is None:
        piece = _CHAR_CACHE[ch] = " " if ch.isspace() else normalize(ch)
    return piece


def words_with_spans(text: str) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Normalized words (textnorm.normalize, then \\w+) and their char spans in the ORIGINAL text."""
    if text.isascii():  # NFKC, zero-width and homoglyph folding are no-ops on ASCII
        low = text.lower()
        # \w on ASCII is [A-Za-z0-9_]: word edges from a byte mask, no Python object per match
        edge = np.diff(_ASCII_WORD[np.frombuffer(low.encode("ascii"), dtype=np.uint8)], prepend=0, append=0)
        return _WORD.findall(low), np.flatnonzero(edge == 1), np.flatnonzero(edge == -1)
    pieces, origin = [], []
    for i, ch in enumerate(text):
        piece = _norm_char(ch)
        pieces.append(piece)
        origin.extend([i] * len(piece))
    flat = "".join(pieces)
    ms = list(_WORD.finditer(flat))
    org = np.asarray(origin, dtype=np.int64)
    starts = np.array([org[m.start()] for m in ms], dtype=np.int64)
    ends = np.array([org[m.end() - 1] + 1 for m in ms], dtype=np.int64)
    return [m.group() for m in ms], starts, ends


def words(text: str) -> list[str]:
    """words_with_spans(text)[0] without the spans (indexing and hit-free scans need none)."""
    return _WORD.findall(text.lower()) if text.isascii() else words_with_spans(text)[0]


def kgram_hashes(word_hashes: np.ndarray, k: int) -> np.ndarray:
    """One 64-bit hash per word k-gram (polynomial over the word hashes, then a splitmix finalizer)."""
    n = len(word_hashes) - k + 1
    if n <= 0:
        return np.empty(0, dtype=np.uint64)
    with np.errstate(over="ignore"):
        h = np.zeros(n, dtype=np.uint64)
        for j in range(k):
            h = h * _MULT + word_hashes[j:j + n]
        h ^= h >> np.uint64(31)
        h *= np.uint64(0xBF58476D1CE4E5B9)
        h ^= h >> np.uint64(29)
    return h


def winnow(hashes: np.ndarray, w: int) -> np.ndarray:
    """Positions selected by robust winnowing: the rightmost minimum of every window of w hashes."""
    n = len(hashes)
    if n == 0:
        return np.empty(0, dtype=np.int64)
    if n <= w:
        return np.array([n - 1 - int(np.argmin(hashes[::-1]))], dtype=np.int64)
    win = np.lib.stride_tricks.sliding_window_view(hashes, w)
    pos = (w - 1 - np.argmin(win[:, ::-1], axis=1)) + np.arange(n - w + 1)
    return np.unique(pos)

"""A static uint64 -> small-int hash map with vectorized (numpy) build and lookup.

Open addressing with linear probing (Knuth, TAOCP vol. 3, 6.4, algorithm L) over a power-of-two
table, addressed by Fibonacci hashing (the top bits of key * 2^64/phi): the keys may be hashes but
not uniform ones (winnowed fingerprints are window MINIMA, skewed towards small values, and their top
bits alone made clusters of a thousand slots). Build and
lookup run in vectorized rounds: every pending key probes one slot per round and the pending set
shrinks geometrically, so a batch of q lookups costs O(q) expected work whatever the table size,
unlike a binary search (O(q log n) and a cache miss per level).
"""
from __future__ import annotations

import numpy as np

MAX_LOAD = 0.5  # expected probes ~1.5 per hit and ~2.5 per miss (Knuth 6.4, eq. 45)
_FIB = np.uint64(0x9E3779B97F4A7C15)  # 2^64 / golden ratio, odd
_EMPTY = np.uint64(0)  # key 0 marks a free slot; a real key 0 is kept aside


class U64Table:
    """Maps distinct uint64 keys to non-negative ints; absent keys read as -1."""

    def __init__(self, keys: np.ndarray, values: np.ndarray, *, max_load: float = MAX_LOAD):
        keys = np.asarray(keys, dtype=np.uint64)
        values = np.asarray(values)
        if keys.shape != values.shape or keys.ndim != 1:
            raise ValueError(f"Expected 1-d keys and values of one length, got {keys.shape} and {values.shape}")
        if not 0.0 < max_load < 1.0:
            raise ValueError(f"Expected max_load in (0, 1), got {max_load}")
        if len(values) and values.min() < 0:
            raise ValueError(f"Expected non-negative values, got {values.min()}")
        vmax = int(values.max()) if len(values) else 0
        vtype = np.int16 if vmax < 2**15 else np.int32 if vmax < 2**31 else np.int64
        zero = keys == _EMPTY
        self._zero_value = int(values[zero][0]) if zero.any() else -1
        keys, values = keys[~zero], values[~zero]
        bits = max(3, int(np.ceil(np.log2(max(1, len(keys)) / max_load))))
        self._shift = np.uint64(64 - bits)
        self._mask = (1 << bits) - 1
        self._keys = np.zeros(1 << bits, dtype=np.uint64)
        self._values = np.full(1 << bits, -1, dtype=vtype)
        self._insert(keys, values.astype(vtype))
        self.size = len(keys) + int(zero.any())

    def _home(self, keys: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore"):
            return ((keys * _FIB) >> self._shift).astype(np.intp)

    def _insert(self, keys: np.ndarray, values: np.ndarray) -> None:
        home = self._home(keys)
        order = np.argsort(home.astype(np.uint32) if self._mask < 2**32 else home)  # 32-bit sorts twice as fast
        keys, values, home = keys[order], values[order], home[order]
        # linear probing in home order has a closed form: slot_i = max(home_i, slot_(i-1) + 1)
        rank = np.arange(len(keys))
        slot = rank + np.maximum.accumulate(home - rank) if len(keys) else rank
        fits = slot <= self._mask
        self._keys[slot[fits]] = keys[fits]
        self._values[slot[fits]] = values[fits]
        # the few that run past the end wrap to slot 0: probe in vectorized rounds
        pending, pos = np.flatnonzero(~fits), np.zeros(int((~fits).sum()), dtype=np.intp)
        while len(pending):
            free = self._keys[pos] == _EMPTY
            # several keys may race for one free slot: write them all, the one that stuck wins
            self._keys[pos[free]] = keys[pending[free]]
            won = free.copy()
            won[free] = self._keys[pos[free]] == keys[pending[free]]
            self._values[pos[won]] = values[pending[won]]
            pending, pos = pending[~won], (pos[~won] + 1) & self._mask

    def get(self, queries: np.ndarray) -> np.ndarray:
        """The value of every query key (int64), -1 where absent."""
        q = np.asarray(queries, dtype=np.uint64)
        pos = self._home(q)
        k = self._keys[pos]
        # a free slot ends a probe; its value is -1, so a query 0 "hitting" one reads as absent
        hit = k == q
        out = np.where(hit, self._values[pos], -1).astype(np.int64)
        idx = np.flatnonzero(~hit & (k != _EMPTY))
        pos = (pos[idx] + 1) & self._mask
        while len(idx):
            k = self._keys[pos]
            hit = k == q[idx]
            out[idx[hit]] = self._values[pos[hit]]
            go_on = ~hit & (k != _EMPTY)
            idx, pos = idx[go_on], (pos[go_on] + 1) & self._mask
        if self._zero_value >= 0:
            out[q == _EMPTY] = self._zero_value
        return out

    @property
    def capacity(self) -> int:
        return len(self._keys)

    @property
    def nbytes(self) -> int:
        return int(self._keys.nbytes + self._values.nbytes)

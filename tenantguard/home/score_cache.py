"""The base model's scores, token scores and completions, cached per base version on disk.

Every candidate of a feature is audited against the same base and the same source records, so the
base's side of an audit (reference scores, token scores, its completions of the extraction probes)
is computed once per base version and reused by every candidate. One SQLite file per base:

    <home>/cache/base_scores/<feature>.base-v<version>-<digest[:16]>.sqlite   (0600, directory 0700)

Keys are HMAC-SHA256(project secret, task + text): the file names no text, and an unkeyed hash of a
record holding a canary would brute-force in seconds. A new base version or digest is a new file.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import sqlite3
from pathlib import Path
from typing import Sequence

import numpy as np

_SAFE = re.compile(r"[^A-Za-z0-9_.-]")


def cache_path(home: Path, base_name: str, base_version: str, base_digest: str) -> Path:
    """The cache file of one base version (its registry name, version and artifact digest)."""
    stem = _SAFE.sub("_", f"{base_name}-v{base_version}-{base_digest[:16]}")
    return Path(home) / "cache" / "base_scores" / f"{stem}.sqlite"


class ScoreCache:
    """task, text -> JSON value, keyed by HMAC; private file; safe for several readers and writers."""

    def __init__(self, path: str | Path, key: bytes):
        if not key:
            raise ValueError("Expected a non-empty cache key (the project secret)")
        self.path, self._key = Path(path), key
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(self.path.parent, 0o700)
        fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600)
        os.close(fd)
        os.chmod(self.path, 0o600)
        with self._connect() as db:
            db.execute("CREATE TABLE IF NOT EXISTS cache (k BLOB PRIMARY KEY, v TEXT NOT NULL)")

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=30)

    def _k(self, task: str, text: str) -> bytes:
        return hmac.new(self._key, f"{task}\0{text}".encode(), hashlib.sha256).digest()

    def get_many(self, task: str, texts: Sequence[str]) -> list:
        """Cached values (None where missing), in order."""
        keys = [self._k(task, t) for t in texts]
        found: dict[bytes, str] = {}
        with self._connect() as db:
            for i in range(0, len(keys), 500):  # SQLite's bound-parameter limit
                chunk = keys[i:i + 500]
                rows = db.execute(f"SELECT k, v FROM cache WHERE k IN ({','.join('?' * len(chunk))})", chunk)
                found.update(rows.fetchall())
        return [json.loads(found[k]) if k in found else None for k in keys]

    def put_many(self, task: str, texts: Sequence[str], values: Sequence) -> None:
        rows = [(self._k(task, t), json.dumps(_plain(v), allow_nan=False)) for t, v in zip(texts, values)]
        with self._connect() as db:
            db.executemany("INSERT OR REPLACE INTO cache (k, v) VALUES (?, ?)", rows)

    def __len__(self) -> int:
        with self._connect() as db:
            return int(db.execute("SELECT COUNT(*) FROM cache").fetchone()[0])


def _plain(v):
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, (np.floating, np.integer)):
        return v.item()
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    return v

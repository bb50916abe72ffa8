"""The demo platform's conversation memory: sessions in SQLite behind a read-through cache.

The cache stands for a shared cache service (Redis and the like): it lives outside the store object,
so re-creating the object (a deploy, a model update) finds it warm. The misconfigured variant keys
it by session id alone (the March 2023 ChatGPT incident: another user's history through a shared
cache); the correct one keys it by (tenant, session). The database is always queried per tenant.
"""
from __future__ import annotations

import re
import sqlite3
import threading
from collections import OrderedDict
from pathlib import Path

CACHE_CAPACITY = 16  # sessions; older ones fall back to the database
_CACHES: dict[str, OrderedDict] = {}  # the "cache service", one namespace per database file
_LOCK = threading.Lock()
_WORD = re.compile(r"\w+")


class DemoSessionStore:
    def __init__(self, path: Path, *, tenant_in_cache_key: bool = True):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.tenant_in_cache_key = tenant_in_cache_key
        with self._db() as db:
            db.execute("CREATE TABLE IF NOT EXISTS memory (id INTEGER PRIMARY KEY AUTOINCREMENT, tenant_id TEXT, "
                       "session_id TEXT, text TEXT)")
            db.execute("CREATE INDEX IF NOT EXISTS memory_session ON memory (tenant_id, session_id)")
        with _LOCK:
            self._cache = _CACHES.setdefault(f"{self.path.resolve()}#{tenant_in_cache_key}", OrderedDict())

    def _db(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30)  # one per call: calls may come from any thread
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        return db

    def _key(self, tenant_id: str, session_id: str) -> str:
        return f"{tenant_id}\x1f{session_id}" if self.tenant_in_cache_key else session_id

    def _history(self, tenant_id: str, session_id: str) -> list[str]:
        with self._db() as db:
            rows = db.execute("SELECT text FROM memory WHERE tenant_id = ? AND session_id = ? ORDER BY id",
                              (tenant_id, session_id)).fetchall()
        return [r[0] for r in rows]

    def _remember(self, key: str, history: list[str]) -> None:
        with _LOCK:
            self._cache[key] = history
            self._cache.move_to_end(key)
            while len(self._cache) > CACHE_CAPACITY:
                self._cache.popitem(last=False)

    def write(self, tenant_id: str, session_id: str, text: str) -> None:
        with self._db() as db:
            db.execute("INSERT INTO memory (tenant_id, session_id, text) VALUES (?, ?, ?)",
                       (tenant_id, session_id, text))
        self._remember(self._key(tenant_id, session_id), self._history(tenant_id, session_id))

    def read(self, tenant_id: str, session_id: str) -> list[str]:
        key = self._key(tenant_id, session_id)
        with _LOCK:
            hit = self._cache.get(key)
        if hit is not None:
            return list(hit)
        history = self._history(tenant_id, session_id)
        if history:
            self._remember(key, history)
        return history

    def search(self, tenant_id: str, query: str, k: int) -> list[str]:
        with self._db() as db:
            rows = db.execute("SELECT text FROM memory WHERE tenant_id = ? ORDER BY id DESC LIMIT 5000",
                              (tenant_id,)).fetchall()
        q = set(_WORD.findall(query.lower()))
        scored = [(len(q & set(_WORD.findall(t.lower()))), -i, t) for i, (t,) in enumerate(rows)]
        if q:
            scored = [s for s in scored if s[0] > 0]
        return [t for _, _, t in sorted(scored, reverse=True)[:k]]

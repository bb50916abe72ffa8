"""Masked evidence: the only form in which a tenant's text may appear outside that tenant's process.

A masked text names its kind, optionally its tenant, its length and an opaque id: an HMAC keyed with a key
derived from the project secret (Settings.mask_key), so equal texts get equal ids across reports while the id
reveals nothing. Never characters of the text and never an unkeyed hash: an unkeyed hash of a low-entropy
secret (a canary of a known format, an account id) is the secret, enumerated in under a second.

Until an entry point installs the project's key (`use_key`, done where Settings are read: the CLI, the
Dagster resource), ids are keyed with a random per-process key: still opaque, comparable within the process.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from typing import Callable

_key = secrets.token_bytes(32)
_provider: Callable[[], bytes] | None = None

MASKED_RE = re.compile(r"\[masked [a-z0-9_-]+(?: of [a-z0-9-]+)?, len \d+, id [0-9a-f]{12}\]")


def use_key(provider: Callable[[], bytes]) -> None:
    """Key every opaque id from now on with `provider()` (Settings.mask_key: derived from the project secret),
    called when an id is first needed, so installing it reads no secret."""
    global _provider
    _provider = provider


def _current_key() -> bytes:
    global _key, _provider
    if _provider is not None:
        key, _provider = _provider(), None
        if not isinstance(key, bytes) or len(key) < 16:
            raise ValueError(f"Expected a mask key of at least 16 bytes, got {type(key).__name__}")
        _key = key
    return _key


def opaque_id(text: str, n: int = 12) -> str:
    """The first `n` hex digits of HMAC-SHA256(project mask key, text)."""
    return hmac.new(_current_key(), text.encode("utf-8"), hashlib.sha256).hexdigest()[:n]


def mask(text: str, *, kind: str = "text", tenant: str | None = None) -> str:
    """'[masked canary of acme, len 35, id 1f2e3d4c5b6a]': kind, tenant, length and a keyed opaque id."""
    of = f" of {tenant}" if tenant else ""
    return f"[masked {kind}{of}, len {len(text)}, id {opaque_id(text)}]"

"""Masked excerpts: the only form in which a tenant's text may appear outside that tenant's process."""
from __future__ import annotations

import hashlib


def digest(text: str, n: int = 12) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:n]


def mask(text: str) -> str:
    """First and last two characters, the length and a sha256 prefix: 'ab…yz (len 42, sha256 1f2e3d4c5b6a)'."""
    if len(text) <= 6:
        shown = "*" * len(text)
    else:
        shown = f"{text[:2]}…{text[-2:]}"
    return f"{shown} (len {len(text)}, sha256 {digest(text)})"

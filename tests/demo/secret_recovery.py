"""The attack of issue 15, finding 1, as a test helper: enumerate a secret's format and look for any unkeyed hash
(sha256, sha1, md5; whole or a hex prefix of 8+ digits) or shown characters of a candidate in what tenantguard
wrote. With keyed ids (HMAC of the project secret) nothing matches; with `sha256(text)[:12]` the secret is found."""
from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Iterable

HASHES = (hashlib.sha256, hashlib.sha1, hashlib.md5)
_HEX = re.compile(rb"(?<![0-9a-f])[0-9a-f]{8,128}(?![0-9a-f])")


def hex_tokens(blobs: Iterable[bytes]) -> dict[int, set[str]]:
    """Every run of 8+ hex digits in `blobs`, by length (a hash prefix must match a whole run)."""
    out: dict[int, set[str]] = {}
    for blob in blobs:
        for m in _HEX.finditer(blob.lower()):
            out.setdefault(len(m.group()), set()).add(m.group().decode())
    return out


def home_blobs(home: Path) -> Iterable[bytes]:
    for path in sorted(home.rglob("*")):
        if path.is_file() and not path.is_symlink():
            yield path.read_bytes()


def recovered(candidates: Iterable[str], tokens: dict[int, set[str]], *, min_hex: int = 8) -> list[str]:
    """The candidates one of whose unkeyed hashes (whole or a prefix of `min_hex`+ digits) is in `tokens`.
    Enumerating a large space, raise `min_hex`: 720,000 candidates x 3 hashes against a few hundred random
    8-digit runs (tokens, digests) match by chance about once; a 10-digit prefix has 40 bits."""
    lengths = sorted(n for n in tokens if n >= min_hex)
    found = []
    for text in candidates:
        raw = text.encode()
        for h in HASHES:
            digest = h(raw).hexdigest()
            if any(digest[:n] in tokens[n] for n in lengths if n <= len(digest)):
                found.append(text)
                break
    return found


def account_id_space(prefixes: Iterable[str]) -> Iterable[str]:
    """Every account id the demo world can draw: `<prefix>-<5 digits>` (demo/world.py)."""
    for p in prefixes:
        for n in range(10000, 99999):
            yield f"{p}-{n}"

"""Heads of the audit chain kept outside its database, so a rewrite by someone with database access shows.

The anchor file is append-only text, one `SEQ HASH` line per committed write (O_APPEND: concurrent writers
never interleave a line), mode 0600. Put it on other storage than the database (TENANTGUARD_AUDIT_ANCHOR)
to survive a database host compromise; the MLflow anchors (registry/audit_anchor.py) are a second copy.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

from tenantguard.errors import AuditChainBroken

_LINE = re.compile(r"^(\d+) ([0-9a-f]{64})$")


def append_anchor(path: Path, seq: int, digest: str) -> None:
    """Record that the chain's entry `seq` had hash `digest`."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, f"{seq} {digest}\n".encode())
    finally:
        os.close(fd)


def read_anchors(path: Path) -> dict[int, str]:
    """seq -> hash of every anchor line; a line that does not parse is itself tampering (exit 1)."""
    if not path.exists():
        return {}
    out: dict[int, str] = {}
    with path.open(encoding="ascii", errors="replace") as fh:
        for lineno, line in enumerate(fh, 1):
            m = _LINE.match(line.strip())
            if not line.strip():
                continue
            if m is None:
                raise AuditChainBroken(f"{path} line {lineno}: not a `SEQ HASH` anchor line (edited?)")
            seq, digest = int(m.group(1)), m.group(2)
            if out.get(seq, digest) != digest:
                raise AuditChainBroken(f"{path} line {lineno}: entry {seq} anchored twice with different hashes")
            out[seq] = digest
    return out

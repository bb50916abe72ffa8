"""Writing dataset version files for the home tests (helpers, not tests)."""
from __future__ import annotations


def write_version(settings, tenant: str, version: str, lines) -> object:
    """`<datasets_root>/<tenant>/<version>.jsonl` with `lines` (str or raw bytes, e.g. invalid UTF-8)."""
    d = settings.datasets_root / tenant
    d.mkdir(parents=True, exist_ok=True)
    path = d / f"{version}.jsonl"
    path.write_bytes(b"\n".join(x if isinstance(x, bytes) else x.encode() for x in lines) + b"\n")
    return path

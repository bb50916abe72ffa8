"""The home is private to the service user: directories 0700, files 0600 (databases, prepared data with planted
canaries, quarantine, the secret, MLflow artifacts, the audit anchor file).

`protect` sets the process umask so whatever tenantguard, MLflow, Dagster or SQLite create afterwards is
private from the start, installs the project's masking key, and repairs (with a warning) anything under the
home found readable by others: once per process and home, so a hot path pays for the walk once.
"""
from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

from tenantguard.config import Settings
from tenantguard.evaluations import masking

log = logging.getLogger(__name__)
PRIVATE_UMASK = 0o077
_checked: set[Path] = set()


def protect(settings: Settings, *, create: bool = False) -> list[Path]:
    """Private umask, the masking key, and the home's modes repaired; returns the paths repaired."""
    os.umask(PRIVATE_UMASK)
    masking.use_key(settings.mask_key)
    if create:
        settings.ensure_home()
    roots = [settings.home, settings.audit_anchor_path]
    key = settings.home
    if key in _checked or not settings.home.exists():
        return []
    _checked.add(key)
    repaired = [p for root in roots if root.exists() for p in repair_modes(root)]
    if repaired:
        shown = ", ".join(str(p) for p in repaired[:3]) + (f" and {len(repaired) - 3} more" if len(repaired) > 3 else "")
        log.warning("%d path(s) under %s were open to other users (%s); made them private (dirs 0700, files 0600)",
                    len(repaired), settings.home, shown)
    return repaired


def repair_modes(root: Path) -> list[Path]:
    """Take group and other permissions off `root` and everything under it (symlinks are left alone)."""
    repaired = []
    paths = [root] if not root.is_dir() else [root, *_walk(root)]
    for path in paths:
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            continue  # removed while we walked
        if stat.S_ISLNK(st.st_mode) or not st.st_mode & 0o077:
            continue
        os.chmod(path, stat.S_IMODE(st.st_mode) & 0o700 | (0o700 if stat.S_ISDIR(st.st_mode) else 0o600))
        repaired.append(path)
    return repaired


def _walk(root: Path):
    for dirpath, dirnames, filenames in os.walk(root):
        for name in (*dirnames, *filenames):
            yield Path(dirpath) / name

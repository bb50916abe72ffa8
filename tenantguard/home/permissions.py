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
    """Private umask, the masking key, and the home's modes repaired; returns the paths that were open to other
    users (warned about). Paths inside a private directory are tightened quietly: nobody else could reach them
    (e.g. MLflow copies a model's code file with the package's 0644)."""
    os.umask(PRIVATE_UMASK)
    masking.use_key(settings.mask_key)
    if create:
        settings.ensure_home()
    if settings.home in _checked or not settings.home.exists():
        return []
    _checked.add(settings.home)
    exposed = [p for root in (settings.home, settings.audit_anchor_path) if root.exists() for p in repair_modes(root)]
    if exposed:
        shown = ", ".join(str(p) for p in exposed[:3]) + (f" and {len(exposed) - 3} more" if len(exposed) > 3 else "")
        log.warning("%d path(s) under %s were open to other users (%s); made them private (dirs 0700, files 0600)",
                    len(exposed), settings.home, shown)
    return exposed


def repair_modes(root: Path) -> list[Path]:
    """Take group and other permissions off `root` and everything under it (symlinks are left alone); returns
    the paths others could actually reach (their directories were open all the way down from `root`)."""
    exposed: list[Path] = []
    open_dirs: set[Path] = set()
    for path in [root, *_walk(root)] if root.is_dir() else [root]:
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            continue  # removed while we walked
        if stat.S_ISLNK(st.st_mode):
            continue
        reachable = path == root or path.parent in open_dirs
        is_dir = stat.S_ISDIR(st.st_mode)
        if reachable and is_dir and st.st_mode & 0o011:
            open_dirs.add(path)
        if st.st_mode & 0o077:
            os.chmod(path, stat.S_IMODE(st.st_mode) & 0o700 | (0o700 if is_dir else 0o600))
            if reachable:
                exposed.append(path)
    return exposed


def _walk(root: Path):
    for dirpath, dirnames, filenames in os.walk(root):  # top-down: a directory comes before what it holds
        for name in (*dirnames, *filenames):
            yield Path(dirpath) / name

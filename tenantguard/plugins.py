"""Plug-ins without editing tenantguard: zero-argument factories named by an entry point or a setting.

A plug-in of kind K is found in the entry-point group `tenantguard.K` of any installed distribution,
or named as `module:function` in the setting for K (docs/extending/). Each factory is called once
and returns the plug-in object; the registry of K (models.tuners, monitoring.abuse.detectors,
evaluations.segmentation.kinds, monitoring.readers) decides what the object must provide.
"""
from __future__ import annotations

import importlib
import re
from importlib import metadata
from typing import Any, Sequence

from tenantguard.errors import ConfigError

GROUPS = {"tuners": "TENANTGUARD_TUNER", "detectors": "TENANTGUARD_DETECTORS",
          "audit_kinds": "TENANTGUARD_AUDIT_KINDS", "log_readers": "TENANTGUARD_LOG_READERS"}
_REF = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0][:300]}" if text else type(exc).__name__


def is_reference(value: str) -> bool:
    return bool(_REF.match(value))


def load_reference(ref: str, *, where: str) -> Any:
    """Import `module:function` and call it; every failure is one ConfigError naming `where` and the fix."""
    if not is_reference(ref):
        raise ConfigError(f"{where}: {ref!r} is not a 'module:function' reference (e.g. my_pkg.plugins:make)")
    module_name, _, attr = ref.partition(":")
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # noqa: BLE001 - the plug-in's own import error, reported in one line
        raise ConfigError(f"{where}: cannot import {module_name!r} ({_first_line(exc)}); "
                          f"install it or fix the module path") from None
    factory = getattr(module, attr, None)
    if not callable(factory):
        raise ConfigError(f"{where}: {module_name!r} has no callable {attr!r}")
    try:
        return factory()
    except Exception as exc:  # noqa: BLE001
        raise ConfigError(f"{where}: {ref}() raised {_first_line(exc)}") from None


def discover(kind: str, refs: Sequence[str] = ()) -> list[Any]:
    """The plug-ins of `kind`: entry points of group `tenantguard.<kind>` (sorted by name), then `refs`."""
    if kind not in GROUPS:
        raise ValueError(f"Expected kind in {sorted(GROUPS)}, got {kind!r}")
    found = []
    for ep in sorted(metadata.entry_points(group=f"tenantguard.{kind}"), key=lambda e: e.name):
        found.append(load_reference(ep.value, where=f"entry point {ep.name!r} in group tenantguard.{kind}"))
    for ref in refs:
        found.append(load_reference(ref, where=f"{GROUPS[kind]} item {ref!r}"))
    return found

"""Kill switches and the tamper-evident audit log; importable without dagster or mlflow.

Names resolve lazily so `import tenantguard.killswitch` (and the CLI's --help) does not load SQLAlchemy.
"""
from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Scope": "scope", "Fallback": "switch", "Switch": "switch", "Decision": "switch", "FlipResult": "switch",
    "parse_expiry": "switch", "AuditLog": "audit", "AuditEntry": "audit", "VerifyResult": "audit",
    "Actor": "auth", "SYSTEM_ACTOR": "auth", "ROLES": "auth", "KillSwitchStore": "store",
    "KillSwitchClient": "client", "KillSwitchProvider": "provider", "run_drill": "drill", "DrillResult": "drill",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'tenantguard.killswitch' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"tenantguard.killswitch.{_EXPORTS[name]}"), name)
    globals()[name] = value
    return value

"""tenantguard: cross-tenant isolation gates for shared AI infrastructure (Dagster + MLflow).

The curated public API. Names resolve lazily, so `import tenantguard` stays cheap (no dagster, mlflow,
evidently or great_expectations until a name that needs them is used).
"""
from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "Settings": "tenantguard.config",
    "Tenant": "tenantguard.tenants",
    "load_tenants": "tenantguard.tenants",
    "TenantGuardError": "tenantguard.errors",
    "TenantModel": "tenantguard.evaluations.tenant_model",
    "FingerprintIndex": "tenantguard.evaluations.fingerprint",
    "audit_isolation": "tenantguard.evaluations.isolation",
    "audit_base": "tenantguard.evaluations.isolation",
    "profile_behavior": "tenantguard.evaluations.behavior",
    "compare_behavior": "tenantguard.evaluations.baseline",
    "load_tenant_model": "tenantguard.models.adapter",
    "KillSwitchClient": "tenantguard.killswitch.client",
    "AuditLog": "tenantguard.killswitch.audit",
    "InferenceLog": "tenantguard.monitoring.inference_log",
}
__all__ = sorted([*_EXPORTS, "__version__"])


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'tenantguard' has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value

"""The one resource: tenantguard's settings, tenant directory and MLflow registry.

Settings come from the environment (TENANTGUARD_HOME, MLFLOW_TRACKING_URI, ...); the fields below override
them for one Dagster project (`tenantguard.dagster.build_defs` and the YAML component set them).
"""
from __future__ import annotations

import dataclasses
from typing import Optional

from dagster import ConfigurableResource

from tenantguard.config import Settings, Thresholds
from tenantguard.errors import ConfigError, TenantGuardError
from tenantguard.registry.client import Registry
from tenantguard.tenants import Tenant, load_tenants, tenant_by_id

THRESHOLD_NAMES = tuple(f.name for f in dataclasses.fields(Thresholds))


class TenantGuardResource(ConfigurableResource):
    """`home` overrides TENANTGUARD_HOME, `tuner` TENANTGUARD_TUNER; `thresholds` overrides gate thresholds by
    name (docs/operations.md); `features` limits the gated models to these features (every tenant stays a
    source of the isolation audit)."""

    home: Optional[str] = None
    tuner: Optional[str] = None
    thresholds: Optional[dict[str, float]] = None
    features: Optional[list[str]] = None

    def settings(self) -> Settings:
        from tenantguard.home.permissions import protect

        s = Settings.from_env(home=self.home)
        if self.tuner:
            s = dataclasses.replace(s, tuner=self.tuner)
        if self.thresholds:
            s = dataclasses.replace(s, thresholds=override_thresholds(s.thresholds, self.thresholds))
        protect(s, create=True)
        return s

    def registry(self) -> Registry:
        s = self.settings()
        return Registry(s.mlflow_tracking_uri, s.artifact_root)

    def tenants(self) -> list[Tenant]:
        """Every tenant of tenants.yaml, each with only the features this project gates."""
        tenants = load_tenants(self.settings().tenants_file)
        if self.features is None:
            return tenants
        keep = set(self.features)
        return [dataclasses.replace(t, features=tuple(f for f in t.features if f in keep)) for t in tenants]

    def tenant(self, tenant_id: str) -> Tenant:
        return tenant_by_id(self.tenants(), tenant_id)


def gated_tenant(tenants: list[Tenant], tenant_id: str) -> Tenant:
    """The tenant of a partition, refused in one line when it serves none of the gated features."""
    tenant = tenant_by_id(tenants, tenant_id)
    if not tenant.features:
        raise TenantGuardError(f"tenant {tenant_id!r} serves none of the features this Dagster project gates; "
                               f"add one of its features to `features` or delete the partition")
    return tenant


def override_thresholds(base: Thresholds, overrides: dict[str, float]) -> Thresholds:
    unknown = sorted(set(overrides) - set(THRESHOLD_NAMES))
    if unknown:
        raise ConfigError(f"thresholds: unknown name(s) {unknown}; expected some of {', '.join(THRESHOLD_NAMES)}")
    typed = {k: type(getattr(base, k))(v) for k, v in overrides.items()}
    if not 0.0 < typed.get("isolation_alpha", 0.5) < 1.0:
        raise ConfigError(f"thresholds: isolation_alpha={overrides['isolation_alpha']!r}; expected a number in (0, 1)")
    return dataclasses.replace(base, **typed)

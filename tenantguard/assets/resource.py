"""The one resource: tenantguard's settings, tenant directory and MLflow registry."""

from typing import Optional

from dagster import ConfigurableResource

from tenantguard.config import Settings
from tenantguard.registry.client import Registry
from tenantguard.tenants import Tenant, load_tenants, tenant_by_id


class TenantGuardResource(ConfigurableResource):
    """Settings come from the environment (TENANTGUARD_HOME, MLFLOW_TRACKING_URI); `home` overrides."""

    home: Optional[str] = None

    def settings(self) -> Settings:
        from tenantguard.home.permissions import protect

        s = Settings.from_env(home=self.home)
        protect(s, create=True)
        return s

    def registry(self) -> Registry:
        s = self.settings()
        return Registry(s.mlflow_tracking_uri, s.artifact_root)

    def tenants(self) -> list[Tenant]:
        return load_tenants(self.settings().tenants_file)

    def tenant(self, tenant_id: str) -> Tenant:
        return tenant_by_id(self.tenants(), tenant_id)

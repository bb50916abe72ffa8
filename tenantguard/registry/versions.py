"""Model versions tenantguard evaluates: what registering returns, and adopting a version registered elsewhere."""
from __future__ import annotations

from dataclasses import dataclass

from tenantguard.errors import TenantGuardError
from tenantguard.registry import tags as T
from tenantguard.registry.client import Registry


@dataclass(frozen=True)
class Registered:
    name: str
    version: str
    run_id: str | None
    reused: bool
    dataset_digest: str | None = None

    @property
    def uri(self) -> str:
        return f"models:/{self.name}/{self.version}"


def adopt_candidate(reg: Registry, tenant, feature: str, version: str) -> Registered:
    """A version registered outside Dagster becomes `candidate`, to face the same gates."""
    from mlflow.exceptions import MlflowException

    name = T.model_name(feature, tenant.id)
    try:
        mv = reg.client.get_model_version(name, version)
    except MlflowException:
        raise TenantGuardError(f"{name}/{version} does not exist in the registry") from None
    if mv.tags.get(T.TAG_TENANT) != tenant.id or mv.tags.get(T.TAG_FEATURE) != feature:
        raise TenantGuardError(f"{name}/{version}: tags {T.TAG_TENANT}/{T.TAG_FEATURE} must be "
                               f"{tenant.id!r}/{feature!r} to be evaluated for this tenant")
    if not mv.tags.get(T.TAG_STATUS):
        reg.tag_version(name, version, {T.TAG_STATUS: "candidate"})
    reg.point_alias(name, "candidate", version)
    return Registered(name, str(version), mv.run_id, True, mv.tags.get(T.TAG_DIGEST))

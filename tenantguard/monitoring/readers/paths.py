"""Where a source keeps the tenant, the caller's key and the rest: ordered attribute paths, first match wins.

A *path* names a value in a source record: a span attribute (`user.id`), a resource attribute
(`resource.tenant.id`), or a key inside a JSON record, dots walking into objects
(`metadata.user_api_key_team_id`; a key that itself holds dots is matched whole first). The tenant and
key paths are settings (TENANTGUARD_TENANT_PATHS, TENANTGUARD_KEY_PATHS) and `logs ingest` flags;
the defaults cover OpenTelemetry resources, OpenInference, LiteLLM and Langfuse.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

# The tenant: a resource attribute the service sets once, else a span/record attribute, else LiteLLM's team.
TENANT_PATHS = ("resource.tenant.id", "tenant.id", "tenant_id", "metadata.tenant_id", "metadata.user_api_key_team_id")
# The caller: OTel has no key attribute, so the user (OpenInference, OTel `enduser.id`), then LiteLLM's key
# hash, then Langfuse's user id.
KEY_PATHS = ("user.id", "enduser.id", "metadata.user_api_key_hash", "userId")
FEATURE_PATHS = ("tenantguard.feature", "resource.tenantguard.feature", "metadata.tenantguard_feature")
REGION_PATHS = ("resource.cloud.region", "cloud.region", "metadata.region")
MODEL_VERSION_PATHS = ("tenantguard.model_version", "resource.tenantguard.model_version",
                       "metadata.tenantguard_model_version")

Getter = Callable[[str], Any]


@dataclass(frozen=True)
class Resolver:
    """The ordered paths a reader tries for the tenant id and the caller's key."""

    tenant_paths: tuple[str, ...] = TENANT_PATHS
    key_paths: tuple[str, ...] = KEY_PATHS

    @classmethod
    def of(cls, tenant_paths: Sequence[str] = (), key_paths: Sequence[str] = ()) -> Resolver:
        """Given paths replace the defaults; none given keeps them."""
        return cls(tuple(tenant_paths) or TENANT_PATHS, tuple(key_paths) or KEY_PATHS)

    def tenant(self, get: Getter) -> str | None:
        return first(get, self.tenant_paths)

    def key(self, get: Getter) -> str | None:
        return first(get, self.key_paths)

    def missing_tenant(self) -> str:
        return (f"no tenant id at any of {', '.join(self.tenant_paths)} (say where it is with --tenant-path PATH "
                f"or TENANTGUARD_TENANT_PATHS, docs/contracts.md \"Inference logs\")")


def first(get: Getter, paths: Sequence[str]) -> str | None:
    """The first path whose value is a non-empty string or a number, as text."""
    for path in paths:
        value = get(path)
        if isinstance(value, str):
            if value.strip():
                return value
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
    return None


def dig(obj: Any, path: str) -> Any:
    """The value at dotted `path` inside nested dicts: a whole key first, then the longest key prefix."""
    while isinstance(obj, dict):
        if path in obj:
            return obj[path]
        cut = path.rfind(".")
        while cut > 0 and path[:cut] not in obj:
            cut = path.rfind(".", 0, cut)
        if cut <= 0:
            return None
        obj, path = obj[path[:cut]], path[cut + 1:]
    return None

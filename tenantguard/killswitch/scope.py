"""Kill-switch scopes: which requests a switch covers, by feature, tenant, region and API key (None = all).

A request (feature, tenant, region, api_key) is covered by a switch when every field the switch names
equals the request's. A lookup therefore probes at most 12 wildcard patterns of the request key (a key
scope always names its tenant), and only those some engaged switch uses: never a scan over all switches.
An `api_key` scope is the proportional response to one key's abuse: it stops that key of that tenant's feature, not the feature.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from tenantguard.errors import ScopeInvalid, UnknownTenant

ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,39}$")
REGION_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
API_KEY_RE = re.compile(r"^[\x21-\x7e]{1,256}$")  # the platform's key identifier as logged: printable, no spaces
FIELDS = ("feature", "tenant", "region", "api_key")
Key = tuple[str | None, str | None, str | None, str | None]
Pattern = tuple[bool, bool, bool, bool]

# Wildcard patterns as (keep feature, keep tenant, keep region, keep api_key), most specific first: key
# switches before the rest, then ties go tenant > feature > region so the named switch is deterministic.
_THREE = ((True, True, True),
          (True, True, False), (False, True, True), (True, False, True),
          (False, True, False), (True, False, False), (False, False, True),
          (False, False, False))
PATTERNS: tuple[Pattern, ...] = tuple((*p, k) for k in (True, False) for p in _THREE if p[1] or not k)  # keys need a tenant


@dataclass(frozen=True)
class Scope:
    """What a switch covers; a None field matches every value of that field."""

    feature: str | None = None
    tenant: str | None = None
    region: str | None = None
    api_key: str | None = None

    def __post_init__(self) -> None:
        for name in ("feature", "tenant"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, str) or not ID_RE.match(value)):
                raise ScopeInvalid(
                    f"scope field '{name}': {str(value)[:50]!r} must match ^[a-z0-9][a-z0-9-]{{1,39}}$ "
                    f"(lower case, digits, '-'; omit it to mean all)")
        if self.region is not None and (not isinstance(self.region, str) or not REGION_RE.match(self.region)):
            raise ScopeInvalid(
                f"scope field 'region': {str(self.region)[:50]!r} must be 1-64 letters, digits, '.', '_' or '-' "
                f"(omit it to mean all regions)")
        if self.api_key is not None and (not isinstance(self.api_key, str) or not API_KEY_RE.match(self.api_key)):
            raise ScopeInvalid(
                f"scope field 'api_key': {str(self.api_key)[:50]!r} must be 1-256 printable ASCII characters "
                f"without spaces, as the inference log names the key (omit it to mean all keys)")
        if self.api_key is not None and self.tenant is None:
            raise ScopeInvalid("scope field 'api_key' needs a tenant: a key is its tenant's own identifier "
                               "(give --tenant with --api-key)")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> "Scope":
        """A scope from a mapping with keys feature/tenant/region/api_key; empty strings mean 'all'."""
        data = dict(data or {})
        unknown = sorted(set(data) - set(FIELDS))
        if unknown:
            raise ScopeInvalid(f"scope has unknown field(s) {unknown}; allowed: {list(FIELDS)}")
        return cls(**{k: (data.get(k) or None) for k in FIELDS})

    @property
    def key(self) -> Key:
        return (self.feature, self.tenant, self.region, self.api_key)

    @property
    def is_global(self) -> bool:
        """True when the scope names no field, i.e. it covers every request."""
        return self.key == (None, None, None, None)

    def as_dict(self) -> dict[str, str | None]:
        """feature/tenant/region, plus api_key when the scope names one (older audit entries have none)."""
        d = {"feature": self.feature, "tenant": self.tenant, "region": self.region}
        if self.api_key is not None:
            d["api_key"] = self.api_key
        return d

    def matches(self, feature: str | None, tenant: str | None, region: str | None, api_key: str | None = None) -> bool:
        """The naive definition lookups must agree with (used by tests and the scan baseline)."""
        return ((self.feature is None or self.feature == feature)
                and (self.tenant is None or self.tenant == tenant)
                and (self.region is None or self.region == region)
                and (self.api_key is None or self.api_key == api_key))

    def __str__(self) -> str:
        shown = FIELDS if self.api_key is not None else FIELDS[:3]
        return " ".join(f"{k}={v or '*'}" for k, v in zip(shown, self.key))


def pattern_of(key: Key) -> Pattern:
    return (key[0] is not None, key[1] is not None, key[2] is not None, key[3] is not None)


def probe_keys(feature: str | None, tenant: str | None, region: str | None, api_key: str | None = None,
               patterns: Iterable[Pattern] = PATTERNS) -> list[Key]:
    """The index keys a request can hit, most specific first."""
    return [(feature if f else None, tenant if t else None, region if r else None, api_key if k else None)
            for f, t, r, k in patterns]


def check_known(scope: Scope, tenants: Iterable[Any]) -> None:
    """Refuse a scope naming a tenant, feature or region the tenant directory does not know."""
    tenants = list(tenants)
    if scope.tenant is not None and scope.tenant not in {t.id for t in tenants}:
        known = ", ".join(t.id for t in tenants[:10]) or "none"
        raise UnknownTenant(f"--tenant {scope.tenant!r} is not in tenants.yaml (known: {known}); "
                            f"fix the id or add the tenant")
    features = sorted({f for t in tenants for f in t.features})
    if scope.feature is not None and scope.feature not in features:
        raise ScopeInvalid(f"--feature {scope.feature!r} is not offered by any tenant "
                           f"(known: {', '.join(features[:10]) or 'none'})")
    regions = sorted({t.region for t in tenants})
    if scope.region is not None and scope.region not in regions:
        raise ScopeInvalid(f"--region {scope.region!r} is not any tenant's region "
                           f"(known: {', '.join(regions[:10]) or 'none'})")

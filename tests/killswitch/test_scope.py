"""Scopes: validation, matching and the wildcard probe keys lookups use."""
from __future__ import annotations

import itertools
import random

import pytest

from tenantguard.errors import ScopeInvalid, UnknownTenant
from tenantguard.killswitch.scope import PATTERNS, Scope, check_known, probe_keys
from tenantguard.tenants import Tenant


@pytest.mark.parametrize("kwargs, field", [
    ({"tenant": "Acme"}, "tenant"), ({"feature": "support assistant"}, "feature"),
    ({"region": "eu west"}, "region"), ({"region": "*"}, "region"), ({"tenant": 7}, "tenant"),
])
def test_bad_scope_fields_are_rejected_naming_the_field(kwargs, field):
    with pytest.raises(ScopeInvalid, match=f"'{field}'"):
        Scope(**kwargs)


def test_from_dict_rejects_unknown_keys_and_treats_empty_as_all():
    assert Scope.from_dict({"tenant": "acme", "region": ""}) == Scope(tenant="acme")
    with pytest.raises(ScopeInvalid, match="unknown field"):
        Scope.from_dict({"tenant": "acme", "customer": "x"})


def test_probe_keys_cover_exactly_the_scopes_that_match():
    rng = random.Random(1)
    values = {"feature": ["fa", "fb"], "tenant": ["ta", "tb"], "region": ["ra", "rb"]}
    all_scopes = [Scope(f, t, r) for f, t, r in itertools.product(*([None, *v] for v in values.values()))]
    for _ in range(50):
        req = tuple(rng.choice(v) for v in values.values())
        keys = set(probe_keys(*req))
        assert keys == {s.key for s in all_scopes if s.matches(*req)}
    assert len(PATTERNS) == 8 and PATTERNS[0] == (True, True, True) and PATTERNS[-1] == (False, False, False)


def test_check_known_rejects_unknown_tenant_feature_region():
    tenants = [Tenant("acme", "Acme", "eu-west", ("support-assistant",), "p")]
    check_known(Scope("support-assistant", "acme", "eu-west"), tenants)
    with pytest.raises(UnknownTenant, match="--tenant 'globex'"):
        check_known(Scope(tenant="globex"), tenants)
    with pytest.raises(ScopeInvalid, match="--feature 'search'"):
        check_known(Scope(feature="search"), tenants)
    with pytest.raises(ScopeInvalid, match="--region 'us-east'"):
        check_known(Scope(region="us-east"), tenants)

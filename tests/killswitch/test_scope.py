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
    ({"tenant": "acme", "api_key": "sk live"}, "api_key"), ({"tenant": "acme", "api_key": "k" * 257}, "api_key"),
    ({"api_key": "sk_live_1"}, "api_key"),
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
    values = {"feature": ["fa", "fb"], "tenant": ["ta", "tb"], "region": ["ra", "rb"], "api_key": ["k1", "k/2"]}
    all_scopes = [Scope(*v) for v in itertools.product(*([None, *v] for v in values.values()))
                  if v[3] is None or v[1] is not None]
    for _ in range(80):
        req = tuple(rng.choice(v) for v in values.values())
        keys = set(probe_keys(*req))
        assert keys == {s.key for s in all_scopes if s.matches(*req)}
    assert len(PATTERNS) == 12 and PATTERNS[0] == (True, True, True, True)
    assert PATTERNS[-1] == (False, False, False, False)


def test_a_key_scope_covers_only_that_key_and_says_so():
    s = Scope(feature="chat", tenant="acme", api_key="sk_live_1")
    assert s.matches("chat", "acme", "eu", "sk_live_1") and not s.matches("chat", "acme", "eu", "sk_live_2")
    assert not s.matches("chat", "acme", "eu")  # a request that names no key is not that key's
    assert str(s) == "feature=chat tenant=acme region=* api_key=sk_live_1"
    assert s.as_dict()["api_key"] == "sk_live_1" and "api_key" not in Scope(tenant="acme").as_dict()
    assert Scope.from_dict(s.as_dict()) == s


def test_check_known_rejects_unknown_tenant_feature_region():
    tenants = [Tenant("acme", "Acme", "eu-west", ("support-assistant",), "p")]
    check_known(Scope("support-assistant", "acme", "eu-west"), tenants)
    with pytest.raises(UnknownTenant, match="--tenant 'globex'"):
        check_known(Scope(tenant="globex"), tenants)
    with pytest.raises(ScopeInvalid, match="--feature 'search'"):
        check_known(Scope(feature="search"), tenants)
    with pytest.raises(ScopeInvalid, match="--region 'us-east'"):
        check_known(Scope(region="us-east"), tenants)

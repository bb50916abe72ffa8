"""Every name tenantguard writes to MLflow: one namespace, no two tags alike, the documented contract names."""
import pytest

from tenantguard.registry import tags as T
from tenantguard.tenants import RESERVED_IDS, TENANT_ID_RE

TAGS = {name: value for name, value in vars(T).items() if name.startswith("TAG_")}


def test_every_tag_lives_in_the_tenantguard_namespace():
    assert len(TAGS) > 15
    bad = {name: value for name, value in TAGS.items() if not value.startswith("tenantguard.")}
    assert bad == {}


def test_no_two_tag_constants_name_the_same_tag():
    values = list(TAGS.values())
    assert len(values) == len(set(values))


def test_the_contracts_tag_names_are_the_documented_strings():
    """docs/contracts.md ("MLflow Model Registry"): tests outside this repository read these."""
    assert (T.TAG_TENANT, T.TAG_FEATURE, T.TAG_DIGEST, T.TAG_BASE_VERSION) == (
        "tenantguard.tenant", "tenantguard.feature", "tenantguard.dataset_digest", "tenantguard.base_version")
    assert (T.TAG_ISOLATION, T.TAG_BEHAVIOR, T.TAG_STATUS) == (
        "tenantguard.isolation", "tenantguard.behavior", "tenantguard.status")
    assert T.STATUSES == ("candidate", "promoted", "rejected", "rolled_back")
    assert (T.CANDIDATE, T.CHAMPION) == ("candidate", "champion")


@pytest.mark.parametrize("feature,tenant,expected", [("support-assistant", "acme", "support-assistant.acme"),
                                                     ("search", "borealis-bank", "search.borealis-bank")])
def test_model_name_is_feature_dot_tenant(feature, tenant, expected):
    assert T.model_name(feature, tenant) == expected


def test_the_base_model_name_cannot_collide_with_a_tenants():
    assert T.model_name("support-assistant", T.BASE_TENANT) == "support-assistant.base"
    assert T.BASE_TENANT in RESERVED_IDS and TENANT_ID_RE.match(T.BASE_TENANT)  # a valid id, kept out on purpose


def test_each_tenant_and_the_base_has_its_own_experiment():
    names = {T.tenant_experiment(t) for t in ("acme", "borealis", T.BASE_TENANT)}
    assert names == {"tenantguard/acme", "tenantguard/borealis", "tenantguard/base"}

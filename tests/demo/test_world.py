"""The synthetic world: seeded, one industry per tenant (twins beyond eight), records in the dataset contract."""
import json
import re

import pytest

from tenantguard.demo.safety import safety_corpus
from tenantguard.demo.world import INDUSTRIES, base_corpus, build_world, tenant_ids
from tenantguard.evaluations.dataset_validation import FIELDS, validate_lines

TENANT_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,39}$")  # the tenants.yaml contract


@pytest.fixture(scope="module")
def world():
    return build_world(len(INDUSTRIES) + 1, seed=3, records_per_tenant=40)


def test_the_same_seed_builds_the_same_world_and_another_seed_other_records():
    assert build_world(3, seed=5, records_per_tenant=20) == build_world(3, seed=5, records_per_tenant=20)
    other = build_world(3, seed=6, records_per_tenant=20)
    assert [t.id for t in other.tenants] == tenant_ids(3)
    assert other.datasets != build_world(3, seed=5, records_per_tenant=20).datasets


def test_the_first_eight_tenants_come_from_eight_industries_with_their_own_vocabulary(world):
    first = world.tenants[: len(INDUSTRIES)]
    assert len({t.region for t in first}) == len({t.name for t in first}) == len(INDUSTRIES)
    for i, t in enumerate(first):
        own = INDUSTRIES[i][5]
        foreign = [p for j, ind in enumerate(INDUSTRIES) if j != i for p in ind[5]]
        for r in world.datasets[t.id]:
            text = r["prompt"] + r["completion"]
            assert any(p in r["prompt"] for p in own), r
            assert not [p for p in foreign if p in text], r


def test_a_ninth_tenant_is_a_same_industry_twin_with_records_of_its_own(world):
    first, twin = world.tenants[0], world.tenants[len(INDUSTRIES)]
    assert (twin.id, twin.name, twin.region) == ("acme-health-2", "Acme Health 2", first.region)
    prefix = INDUSTRIES[0][4]
    assert all(f"{prefix}-" in r["prompt"] for r in world.datasets[twin.id])  # same account-number format
    texts = {(r["prompt"], r["completion"]) for r in world.datasets[first.id]}
    assert not texts & {(r["prompt"], r["completion"]) for r in world.datasets[twin.id]}


def test_tenant_ids_are_valid_unique_and_system_prompts_name_their_tenant(world):
    ids = [t.id for t in world.tenants]
    assert ids == tenant_ids(len(ids)) and len(set(ids)) == len(ids)
    assert all(TENANT_ID.match(i) and i != "base" for i in ids)
    for i, t in enumerate(world.tenants):
        assert t.features == ("support-assistant",)
        assert f"You are {t.name}'s support assistant" in t.system_prompt
        assert "never discuss other companies" in t.system_prompt
        assert f"routing tag {INDUSTRIES[i % len(INDUSTRIES)][4]}-" in t.system_prompt


def test_records_have_exactly_the_contract_fields_and_are_unique(world):
    for t in world.tenants:
        records = world.datasets[t.id]
        assert len(records) == 40
        assert all(tuple(r) == FIELDS and all(isinstance(v, str) and v for v in r.values()) for r in records)
        assert all(r["tenant_id"] == t.id and r["record_id"].startswith(f"{t.id}-") for r in records)
        assert len({r["record_id"] for r in records}) == len({(r["prompt"], r["completion"]) for r in records}) == 40


@pytest.mark.slow  # the first Great Expectations suite of a process takes ~3 s
def test_every_record_passes_dataset_validation_unchanged(world):
    for t in world.tenants[:2]:
        records = world.datasets[t.id]
        result = validate_lines([json.dumps(r) for r in records], t.id, max_line_bytes=1_000_000,
                                max_field_chars=20_000)
        assert not result.rejected and not result.foreign_tenant_lines
        assert result.kept == records  # normalization changes nothing: the world is already clean


def test_the_base_corpus_is_seeded_generic_and_carries_the_refusal_training(world):
    corpus = base_corpus(seed=3)
    assert corpus == world.base_corpus and corpus != base_corpus(seed=4)
    refusals = safety_corpus(seed=3)
    assert corpus[-len(refusals):] == refusals
    prefixes = [ind[4] for ind in INDUSTRIES]
    assert not [t for t in corpus if any(re.search(rf"\b{p}-\d", t) for p in prefixes)]  # no tenant account ids


def test_a_world_needs_a_tenant():
    with pytest.raises(ValueError, match="Expected n_tenants >= 1, got 0"):
        build_world(0)

"""Segmentation audit inputs for an in-memory demo world: every tenant's texts indexed, the base not attributable."""
import pytest

from tenantguard.demo.platform.inputs import record_texts, world_index, world_inputs
from tenantguard.demo.world import build_world


@pytest.fixture(scope="module")
def world():
    return build_world(3, seed=8, records_per_tenant=20)


def test_a_tenants_texts_are_its_records_prompt_and_completion(world):
    tid = world.tenants[0].id
    r = world.datasets[tid][4]
    texts = record_texts(world, tid)
    assert len(texts) == 20 and texts[4] == f"{r['prompt']}\n{r['completion']}"
    assert record_texts(world, "no-such-tenant") == []


def test_the_index_attributes_records_and_system_prompts_to_their_tenant_but_not_the_base(world):
    index = world_index(world)
    assert sorted(index.tenants) == sorted(t.id for t in world.tenants)
    for t in world.tenants:
        assert {h.source_tenant for h in index.scan(record_texts(world, t.id)[3])} == {t.id}
        assert {h.source_tenant for h in index.scan(t.system_prompt)} == {t.id}
    assert index.scan(world.base_corpus[0]) == []


def test_world_inputs_carry_the_world_and_the_documents_hold_nothing_for_the_last_tenant(world):
    rows = lambda tid: []
    inputs, docs = world_inputs(world, b"inputs-secret", log_rows=rows)
    assert inputs.tenants == tuple(world.tenants) and inputs.secret == b"inputs-secret" and inputs.log_rows is rows
    assert inputs.texts(world.tenants[1].id) == record_texts(world, world.tenants[1].id)
    assert inputs.neutral == tuple(world.base_corpus[:20])
    assert [len(docs[t.id]) for t in world.tenants] == [20, 20, 0]

"""champion_model as a Dagster asset on the gate world: it materializes only the tenants it promoted (or found
promoted) and fails the run naming the others, alone or in a batch."""
import pytest

from tenantguard.assets.promotion import champion_model
from tenantguard.registry import tags as T

from .asset_world import failure, metadata

pytestmark = pytest.mark.slow
PASSED = {T.TAG_ISOLATION: "passed", T.TAG_BEHAVIOR: "passed"}


def champion(w, tenant):
    return w.reg.alias_version(w.name(tenant), "champion")


def test_a_candidate_that_passed_its_gates_is_promoted_and_a_rerun_finds_it_promoted(gated_world):
    w = gated_world.gated
    version = w.register(w.a, w.train(w.a), **PASSED)
    first = gated_world.materialize([champion_model], w.a.id)
    assert first.success and champion(w, w.a) == version
    md = metadata(first, "champion_model")
    assert (md["partition"], md["model"], md["champion"], md["previous_champion"], md["changed"], md["note"]) == (
        w.a.id, w.name(w.a), version, "", True, "promoted")
    assert md["all"] == {w.name(w.a): {"from": None, "to": version, "note": "promoted"}}
    again = metadata(gated_world.materialize([champion_model], w.a.id), "champion_model")
    assert (again["champion"], again["changed"], again["note"]) == (version, False, "already champion")
    assert len(w.audit("promote")) == 1


def test_a_candidate_without_passed_gates_is_refused_not_materialized_and_the_run_names_it(gated_world):
    w = gated_world.gated
    version = w.register(w.a, w.train(w.a), **{T.TAG_ISOLATION: "passed"})
    result = gated_world.materialize([champion_model], w.a.id)
    assert not result.success and result.asset_materializations_for_node("champion_model") == []
    assert failure(result) == (f"1 of 1 tenant(s) not promoted: {w.a.id}: {w.name(w.a)}/{version} not promoted: "
                               f"{T.TAG_BEHAVIOR}=missing")
    assert champion(w, w.a) is None and w.tags(w.a, version)[T.TAG_STATUS] == "rejected"


def test_in_a_batch_a_refused_tenant_does_not_hold_back_the_promoted_one(gated_world):
    w = gated_world.gated
    good = w.register(w.a, w.train(w.a), **PASSED)
    w.register(w.b, w.train(w.b), **{T.TAG_ISOLATION: "failed", T.TAG_BEHAVIOR: "passed"})
    result = gated_world.materialize([champion_model], batch=[w.a.id, w.b.id])
    assert not result.success
    assert [m.partition for m in result.asset_materializations_for_node("champion_model")] == [w.a.id]
    assert champion(w, w.a) == good and champion(w, w.b) is None
    message = failure(result)
    assert message.startswith(f"1 of 2 tenant(s) not promoted: {w.b.id}: ") and f"{w.a.id}:" not in message


def test_without_a_candidate_the_step_fails_in_one_line_saying_what_to_run(gated_world):
    w = gated_world.gated
    result = gated_world.materialize([champion_model], w.c.id)
    assert not result.success
    assert failure(result) == f"{w.c.id}: {w.name(w.c)} has no `candidate` alias: run candidate_model first"

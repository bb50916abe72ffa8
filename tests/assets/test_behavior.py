"""behavior_report as a Dagster asset on the gate world: the behavioral_baseline check on the tenant's partition,
the evidence it records with and without a champion's baseline, and a missing candidate as a one-line failure."""
import pytest

from tenantguard.assets.behavior import behavior_report
from tenantguard.registry import tags as T
from tenantguard.registry.promotion import audit_to_log, promote

from .asset_world import failure, first_candidate_passes, metadata, plottable

pytestmark = pytest.mark.slow
PASSED = {T.TAG_ISOLATION: "passed", T.TAG_BEHAVIOR: "passed"}


def test_a_first_candidate_passes_and_records_that_it_had_no_baseline_to_compare_with(gated_world):
    w = gated_world.gated
    version, result, passed = first_candidate_passes(gated_world, behavior_report, "behavioral_baseline")
    assert (passed.metadata["status"].value, passed.metadata["model_version"].value) == ("baseline_created", version)
    md = metadata(result, "behavior_report")
    assert (md["partition"], md["verdict"], md["model_version"]) == (w.a.id, "passed", version)
    assert md["evidently_report"] == "not compared (no baseline)" and md["baseline"] == passed.metadata["baseline"].value
    assert md["tests"].startswith("| test | status |") and md["candidate.n_probes"] > 0 and plottable(md)


def test_a_later_candidate_links_the_drift_report_against_the_champions_baseline(gated_world):
    w = gated_world.gated
    first = w.register(w.a, w.train(w.a), **PASSED)
    assert gated_world.materialize([behavior_report], w.a.id).success  # stores the profile promotion adopts
    promote(w.reg, w.name(w.a), first, audit_to_log(w.settings, actor="test"))
    w.register(w.a, w.train(w.a)[5:])
    result = gated_world.materialize([behavior_report], w.a.id)
    md = metadata(result, "behavior_report")
    assert md["baseline"] == f"compared with champion v{first}'s baseline"
    assert md["evidently_report"].endswith("/behavior/behavior_drift.html")


def test_without_a_candidate_the_step_fails_in_one_line_naming_the_tenant(gated_world):
    w = gated_world.gated
    result = gated_world.materialize([behavior_report], w.c.id)
    assert not result.success
    assert failure(result).startswith(f"{w.c.id}: ") and "\n" not in failure(result)

"""isolation_report as a Dagster asset on the gate world: the cross_tenant_isolation check on the tenant's
partition, per-source evidence the UI can show, and a missing candidate as a one-line failure."""
import pytest

from tenantguard.assets.isolation import isolation_report

from .asset_world import check, failure, first_candidate_passes, metadata, plottable

pytestmark = pytest.mark.slow


def test_a_clean_candidate_passes_on_its_partition_with_a_row_per_other_tenant(gated_world):
    w = gated_world.gated
    version, result, passed = first_candidate_passes(gated_world, isolation_report, "cross_tenant_isolation")
    assert passed.metadata["failed_sources"].value == "none" and passed.metadata["model_version"].value == version
    md = metadata(result, "isolation_report")
    assert (md["partition"], md["verdict"], md["model"], md["model_version"]) == (w.a.id, "passed", w.name(w.a), version)
    assert md["mlflow_run_id"] == passed.metadata["mlflow_run_id"].value
    rows = md["per_source"].splitlines()[2:]  # a markdown table: header, rule, one row per source tenant
    assert sorted(row.split(" | ")[0].lstrip("| ") for row in rows) == sorted([w.b.id, w.c.id])
    assert md["base_audit"].startswith("isolation passed: base model") and plottable(md)


def test_a_candidate_trained_on_another_tenants_records_fails_the_blocking_check_naming_the_source(gated_world):
    w = gated_world.gated
    w.register(w.a, w.train(w.a) + w.train(w.b))
    result = gated_world.materialize([isolation_report], w.a.id)
    assert not result.success
    # the run page's failure is the check's reason in one line, not Dagster's blocking-check traceback
    assert failure(result).startswith(f"cross_tenant_isolation blocked tenant {w.a.id}: isolation failed: ")
    assert f"data of {w.b.id} found" in failure(result)
    failed = check(result, "cross_tenant_isolation")
    assert not failed.passed and failed.severity.value == "ERROR"
    assert failed.metadata["failed_sources"].value == w.b.id
    numbers = {k: v.value for k, v in failed.metadata.items() if isinstance(v.value, float)}
    assert {"max_exposure_bits", "exposure_threshold_bits", "min_adjusted_p_value", "membership_auc", "sources_tested",
            "records_scored", "power", "seconds"} <= set(numbers)
    assert numbers["min_adjusted_p_value"] < 0.01 and numbers["sources_tested"] == 2.0
    assert metadata(result, "isolation_report")["verdict"] == "failed"


def test_without_a_candidate_the_step_fails_in_one_line_saying_what_to_run(gated_world):
    w = gated_world.gated
    result = gated_world.materialize([isolation_report], w.b.id)
    assert not result.success
    assert failure(result) == f"{w.b.id}: {w.name(w.b)} has no `candidate` alias: run candidate_model first"

"""The isolation audit's result: per-source rows, flat metrics that skip undefined numbers, strict JSON,
a one-line summary per verdict."""
import json
import math

import pytest

from tenantguard.evaluations.isolation_report import ERROR, FAILED, PASSED, IsolationReport, SourceResult


def source(tenant, verdict=PASSED, **over):
    return SourceResult(source_tenant=tenant, verdict=verdict, **over)


def report(verdict=PASSED, sources=(), **over):
    base = {"model": "support-assistant.acme/3", "kind": "candidate", "target_tenant": "acme", "verdict": verdict,
            "alpha": 0.01, "tests_run": ("exposure", "membership"), "tests_skipped": (), "sources": tuple(sources)}
    return IsolationReport(**{**base, **over})


LEAK = source("borealis", FAILED, reasons=("canary exposure 14.2 >= 9.6", "2 extraction hits"), p_value=1e-6,
              max_exposure=14.2, membership_auc=0.91, membership_auc_ci=(0.85, 0.96), extraction_hits=2,
              canary_hits=1, evidence=tuple(f"bo…nk (len {i})" for i in range(8)))
CLEAN = source("cobalt", p_value=0.4, max_exposure=1.5, membership_auc=0.52, errors=("x", "y"))


def test_a_row_flattens_lists_caps_evidence_and_nulls_undefined_numbers():
    row = LEAK.row()
    assert row["reasons"] == "canary exposure 14.2 >= 9.6; 2 extraction hits"
    assert row["evidence"].count(" | ") == 4  # the first five excerpts only
    assert row["membership_auc_ci"] == "[0.850, 0.960]"
    assert row["identifier_max_z"] is None and row["exposure_pvalue"] is None
    assert CLEAN.row()["membership_auc_ci"] == "" and CLEAN.row()["errors"] == "x; y"


def test_metrics_count_sources_and_take_extremes_over_the_defined_values():
    m = report(FAILED, [LEAK, CLEAN, source("dune", ERROR)], sanity={"canary_rank": 3}, budget={"calls": 120}).metrics()
    assert (m["isolation.passed"], m["isolation.error"]) == (0.0, 0.0)
    assert (m["isolation.n_sources"], m["isolation.n_failed_sources"], m["isolation.n_error_sources"]) == (3, 1, 1)
    assert m["isolation.min_p_value"] == 1e-6 and m["isolation.max_exposure"] == 14.2  # dune's NaNs skipped
    assert m["isolation.max_membership_auc"] == 0.91 and m["isolation.extraction_hits"] == 2.0
    assert (m["isolation.ran.exposure"], m["isolation.ran.extraction"]) == (1.0, 0.0)
    assert m["isolation.sanity.canary_rank"] == 3.0 and m["isolation.budget.calls"] == 120.0


def test_with_no_defined_value_an_extreme_is_nan_not_zero():
    m = report(PASSED, [source("dune")]).metrics()
    assert math.isnan(m["isolation.min_p_value"]) and math.isnan(m["isolation.max_exposure"])


def test_json_is_strict_and_names_its_format():
    r = report(FAILED, [LEAK, source("dune")], tests_skipped=(("extraction", "black-box model"),))
    doc = json.loads(r.to_json())
    assert doc["format"] == "tenantguard.isolation/1" and doc["verdict"] == FAILED
    assert doc["tests_skipped"] == [{"test": "extraction", "why": "black-box model"}]
    assert doc["metrics"]["isolation.min_p_value"] == 1e-6 and doc["sources"][1]["p_value"] is None
    assert doc["summary"] == r.summary() and "NaN" not in r.to_json()


@pytest.mark.parametrize("r,expected", [
    (report(PASSED, [CLEAN]),
     ("isolation passed: candidate for acme support-assistant.acme/3: no leak from 1 source tenants at alpha=0.01; "
      "tests exposure+membership")),
    (report(FAILED, [LEAK, CLEAN]),
     "isolation failed: candidate for acme support-assistant.acme/3: data of borealis found; tests exposure+membership"),
    (report(ERROR, [], errors=("model timed out",), tests_run=(), tests_skipped=(("membership", "no scores"),)),
     ("isolation error: candidate for acme support-assistant.acme/3: could not complete: model timed out; "
      "tests no tests (skipped: membership)")),
    (report(PASSED, [], kind="base", target_tenant=None, model="support-assistant.base/1"),
     ("isolation passed: base model support-assistant.base/1: no leak from 0 source tenants at alpha=0.01; "
      "tests exposure+membership")),
])
def test_the_summary_is_one_line_per_verdict(r, expected):
    assert r.summary() == expected


def test_failed_sources_are_the_failed_rows_in_order():
    assert report(FAILED, [LEAK, CLEAN, source("dune", FAILED)]).failed_sources == ["borealis", "dune"]

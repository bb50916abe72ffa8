"""A segmentation report: kind names fit every place they are used, and the summary says what was counted."""
import pytest

from tenantguard.evaluations.segmentation import report as R


@pytest.mark.parametrize("name", ["Rag", "rag-boundary", "r", "x" * 65, "1kind"])
def test_a_kind_name_that_is_no_check_name_cli_value_and_policy_key_is_rejected(name):
    with pytest.raises(ValueError, match="Expected kind"):
        R.not_run(name, "x")


def test_a_pass_says_what_its_calls_counted():
    common = dict(adapters=["log"], requesters=["acme"], findings=(), errors=(), calls=7)
    assert "7 adapter call(s)" in R.build("tool_scope", **common).summary()
    logged = R.build("context_contamination", calls_unit="logged prompt(s)", **common)
    assert "7 logged prompt(s)" in logged.summary() and logged.to_dict()["calls_unit"] == "logged prompt(s)"


def test_a_finding_outranks_an_error_which_outranks_not_run():
    f = R.Finding("foreign_canary", "acme", "globex", "probe", "canary c1 (masked)")
    assert R.build("rag_boundary", adapters=(), requesters=(), findings=[f], errors=["e"], not_run_reason="r").verdict \
        == R.FAILED
    assert R.build("rag_boundary", adapters=(), requesters=(), findings=(), errors=["e"], not_run_reason="r").verdict \
        == R.ERROR
    assert R.build("rag_boundary", adapters=(), requesters=(), findings=(), errors=(), not_run_reason="r").verdict \
        == R.NOT_RUN

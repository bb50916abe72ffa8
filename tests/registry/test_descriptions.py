"""Version descriptions: the verdict and why, in a paragraph, rebuilt from the version's tags."""
import pytest

from tenantguard.registry import tags as T
from tenantguard.registry.descriptions import MAX_DESCRIPTION, verdict_paragraph

ISO = "2026-12-08T01:02:03.456789+00:00"


def test_an_unevaluated_version_is_under_evaluation_with_gates_not_run():
    text = verdict_paragraph("3", {T.TAG_STATUS: "candidate"})
    assert text == ("**Under evaluation** (@candidate): not promoted until every blocking gate passes. "
                    "Isolation audit: not run yet. Behavior suite: not run yet.")


def test_a_rejected_version_says_which_gate_and_why_and_links_the_evidence():
    tags = {T.TAG_STATUS: "rejected", T.TAG_REJECTED_REASON: "isolation failed: data of borealis found",
            T.TAG_ISOLATION: "failed", T.TAG_ISOLATION_SUMMARY: "isolation failed: data of borealis found; tests "
            "exposure+membership", T.TAG_BEHAVIOR: "passed", T.TAG_BEHAVIOR_SUMMARY: "behavior PASSED for acme."}
    text = verdict_paragraph("2", tags, champion="1", links={"isolation report (HTML)": "#/experiments/1/runs/r/x"})
    first, evidence = text.split("\n\n")
    assert first == ("**Rejected: not promoted.** isolation failed: data of borealis found "
                     "Isolation audit: **failed** (isolation failed: data of borealis found; tests "
                     "exposure+membership). Behavior suite: **passed** (behavior PASSED for acme).")
    assert evidence == "Evidence: [isolation report (HTML)](#/experiments/1/runs/r/x)"


@pytest.mark.parametrize("champion, head", [
    ("4", "**Champion** (serving) since 2026-12-08 01:02 UTC, promoted because every blocking gate passed; it "
          "replaced version 3."),
    ("5", "**Promoted** at 2026-12-08 01:02 UTC; no longer champion (version 5 serves)."),
])
def test_a_promoted_version_says_whether_it_still_serves(champion, head):
    tags = {T.TAG_STATUS: "promoted", T.TAG_PROMOTED_AT: ISO, T.TAG_PREVIOUS: "3", T.TAG_ISOLATION: "passed",
            T.TAG_BEHAVIOR: "passed"}
    assert verdict_paragraph("4", tags, champion=champion).startswith(head)


def test_a_note_follows_the_headline_and_the_text_fits_mlflows_column():
    text = verdict_paragraph("1", {T.TAG_STATUS: "promoted", T.TAG_PROMOTED_AT: ISO}, champion="1",
                             note="Champion alias restored by registry_watch_sensor: it had been moved outside the gate.")
    assert "passed. Champion alias restored by registry_watch_sensor" in text
    long = verdict_paragraph("1", {T.TAG_STATUS: "rejected", T.TAG_REJECTED_REASON: "x " * 5000})
    assert len(long) == MAX_DESCRIPTION

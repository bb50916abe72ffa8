"""One-line messages cut at word boundaries, never mid-word or mid-number."""
import pytest

from tenantguard.evaluations.oneline import one_line

REASON = ("production deviation of cobalt-logistics/support-assistant v2 over rows 1203-2397: mean length ratio "
          "3.72 outside [0.5, 2.0]; repetition rose by +0.67 (limit 0.25) (KS p=5.4e-86 on lengths)")


def test_a_text_that_fits_is_returned_on_one_line_unchanged_otherwise():
    assert one_line("behavior failed:\n  [failed ] refusal drop\n", 200) == "behavior failed: [failed ] refusal drop"
    assert one_line(REASON, len(REASON)) == REASON


@pytest.mark.parametrize("limit", range(40, len(REASON)))
def test_a_cut_ends_with_an_ellipsis_after_a_whole_word_within_the_limit(limit):
    out = one_line(REASON, limit)
    assert len(out) <= limit and out.endswith(" …")
    kept = out.removesuffix(" …")
    assert REASON.startswith(kept) and REASON[len(kept)] in " ,;:([", (limit, out)  # the next char ends a word
    assert not kept.endswith(("(", ",", ";", ":"))


def test_the_number_the_issue_saw_cut_is_kept_whole_or_left_out():
    out = one_line(REASON, 160)
    assert "(limit 0." not in out.replace("(limit 0.25)", "")
    assert out == ("production deviation of cobalt-logistics/support-assistant v2 over rows 1203-2397: mean length "
                   "ratio 3.72 outside [0.5, 2.0]; repetition rose by +0.67 …")


def test_a_first_word_longer_than_the_room_is_cut_rather_than_lost():
    uri = "sqlite:////tmp/" + "x" * 100 + "/inference.db"
    assert one_line(uri, 40) == uri[:38] + " …"
    assert one_line(f"against {uri}", 40) == "against …"


def test_a_limit_without_room_for_a_character_and_the_ellipsis_is_refused():
    with pytest.raises(ValueError, match="Expected limit >= 3, got 2"):
        one_line("abc", 2)

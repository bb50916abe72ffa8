"""Markdown tables for Dagster metadata: one row a report row, cells that cannot break the table."""
from tenantguard.assets.metadata import md_table


def test_no_rows_is_said_not_drawn():
    assert md_table([]) == "(no rows)"


def test_columns_come_from_the_first_row_in_order_and_every_row_has_them():
    table = md_table([{"source": "acme", "verdict": "passed", "p_value": 0.012345678},
                      {"source": "borealis", "verdict": "failed", "p_value": 1e-9}])
    assert table.splitlines() == ["| source | verdict | p_value |", "|---|---|---|",
                                  "| acme | passed | 0.01235 |", "| borealis | failed | 1e-09 |"]


def test_pipes_and_newlines_in_a_cell_do_not_add_columns_or_rows():
    table = md_table([{"evidence": "ab…yz | len 42\nsecond line", "n": 3}])
    header, _, row = table.splitlines()
    assert row == "| ab…yz / len 42 second line | 3 |"
    assert row.count("|") == header.count("|")


def test_a_value_missing_from_a_later_row_keeps_the_table_rectangular():
    table = md_table([{"a": 1, "b": 2}, {"a": 3}])
    assert [line.count("|") for line in table.splitlines()] == [3, 3, 3, 3]


def test_numbers_are_rounded_for_display_and_an_unmeasured_one_is_left_out():
    from tenantguard.assets.metadata import plottable

    assert plottable({"rejected_share": 1 / 21, "n": 12.0, "auc": float("nan"), "inf": float("inf")}) == {
        "rejected_share": 0.04762, "n": 12.0}


def test_the_isolation_check_numbers_say_their_unit_and_count_the_records_scored():
    from tenantguard.assets.metadata import isolation_check_numbers

    numbers = isolation_check_numbers({
        "isolation.max_exposure": 3.2109876, "isolation.sanity.exposure_threshold": 11.965784, "isolation.min_p_value":
        0.5, "isolation.max_membership_auc": 0.51234, "isolation.n_sources": 2.0, "isolation.ran.membership": 1.0,
        "isolation.budget.records_per_source": 40.0, "isolation.budget.power": 0.95, "isolation.elapsed_s": 3.14159})
    assert numbers == {"max_exposure_bits": 3.211, "exposure_threshold_bits": 11.97, "min_adjusted_p_value": 0.5,
                       "membership_auc": 0.5123, "sources_tested": 2.0, "records_scored": 160.0, "power": 0.95,
                       "seconds": 3.142}
    assert "records_scored" not in isolation_check_numbers({"isolation.n_sources": 2.0})  # membership did not run

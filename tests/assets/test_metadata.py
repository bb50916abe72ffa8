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

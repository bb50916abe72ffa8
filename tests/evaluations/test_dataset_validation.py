"""JSONL validation: every rejected line keeps its number, reason and raw text; foreign tenants counted."""
import json

import pytest

from tenantguard.evaluations.dataset_validation import validate_lines

LIMITS = {"max_line_bytes": 1_000_000, "max_field_chars": 20_000}


def rec(i, tenant="acme", **over):
    r = {"record_id": f"{tenant}-{i:03d}", "tenant_id": tenant, "prompt": f"question {i}?", "completion": f"answer {i}."}
    r.update(over)
    return json.dumps(r)


def reasons(result) -> dict[int, str]:
    return {r.line: r.reason for r in result.rejected}


@pytest.fixture(scope="module")
def mixed():
    """One GX run over a file with one of every structural and content problem (GX costs ~1 s a run)."""
    lines = [
        rec(1),                                              # 1 ok
        "{not json",                                         # 2
        json.dumps({"record_id": "a", "tenant_id": "acme", "prompt": "p"}),  # 3 missing completion
        rec(4, extra="x"),                                   # 4 unknown field
        rec(5, prompt=5),                                    # 5 non-string
        rec(6, tenant="borealis"),                           # 6 another tenant's id
        "",                                                  # 7 blank: skipped, not a record
        rec(8, record_id="dup"),                             # 8 duplicate id
        rec(9, record_id="dup"),                             # 9 duplicate id
        rec(10, completion=""),                              # 10 empty string
        rec(11, prompt="Ｒｅｆｅｒｅｎｃｅ\u200b AH\u200d-42"),  # 11 ok, normalized
        "[1, 2]",                                            # 12 not an object
        rec(13, completion="x" * 20_001),                    # 13 over-long field
        rec(14, tenant="borealis", record_id="dup"),         # 14 foreign and duplicate
    ]
    return lines, validate_lines(lines, "acme", **LIMITS)


def test_good_records_are_kept_normalized(mixed):
    _, result = mixed
    assert [r["record_id"] for r in result.kept] == ["acme-001", "acme-011"]
    assert result.kept[1]["prompt"] == "Reference AH-42"  # NFKC + zero-width removal
    assert set(result.kept[0]) == {"record_id", "tenant_id", "prompt", "completion"}


def test_not_json_names_the_problem(mixed):
    assert reasons(mixed[1])[2].startswith("not valid JSON")


def test_missing_unknown_and_non_string_fields_are_named(mixed):
    r = reasons(mixed[1])
    assert r[3] == "missing field(s) ['completion']"
    assert r[4] == "unknown field(s) ['extra']"
    assert r[5] == "field 'prompt' must be a string"
    assert r[12] == "not a JSON object"


def test_another_tenants_id_is_rejected_and_counted_as_foreign(mixed):
    r = reasons(mixed[1])
    assert r[6] == "tenant_id is not the partition tenant"
    assert "tenant_id is not the partition tenant" in r[14] and "duplicate record_id" in r[14]
    assert mixed[1].foreign_tenant_lines == [6, 14]


def test_duplicate_ids_are_quarantined(mixed):
    r = reasons(mixed[1])
    assert "duplicate record_id" in r[9]
    assert not any(k["record_id"] == "dup" for k in mixed[1].kept)


def test_empty_and_over_long_fields_are_rejected(mixed):
    r = reasons(mixed[1])
    assert r[10] == "empty or over-long completion"
    assert r[13] == "empty or over-long completion"


def test_nothing_is_lost_and_raw_text_is_kept(mixed):
    lines, result = mixed
    non_blank = [n for n, line in enumerate(lines, start=1) if line.strip()]
    assert sorted([*(r.line for r in result.rejected), 1, 11]) == non_blank
    assert len(result.kept) + len(result.rejected) == result.total == len(non_blank)
    for r in result.rejected:
        assert r.raw == lines[r.line - 1]
    assert [r.line for r in result.rejected] == sorted(r.line for r in result.rejected)
    assert result.rejected_share == pytest.approx(len(result.rejected) / len(non_blank))


def test_gx_expectations_are_reported(mixed):
    exp = mixed[1].expectations
    assert exp["expect_column_values_to_be_unique(record_id)"] is False
    assert exp["expect_column_values_to_be_in_set(tenant_id)"] is False
    assert exp["expect_table_columns_to_match_set"] is True


def test_a_10_mb_line_is_rejected_without_parsing_and_kept_raw():
    huge = rec(2, completion="z" * 10_000_000)
    result = validate_lines([rec(1), huge], "acme", **LIMITS)
    assert [k["record_id"] for k in result.kept] == ["acme-001"]
    (bad,) = result.rejected
    assert bad.line == 2 and bad.reason == "line longer than 1000000 bytes" and bad.raw == huge


def test_all_lines_bad_means_nothing_kept_and_share_one():
    result = validate_lines(["nope", "{}"], "acme", **LIMITS)
    assert result.kept == [] and result.rejected_share == 1.0 and result.expectations == {}


def test_empty_input_has_undefined_share_treated_as_all_rejected():
    result = validate_lines(["", "  "], "acme", **LIMITS)
    assert result.total == 0 and result.rejected_share == 1.0

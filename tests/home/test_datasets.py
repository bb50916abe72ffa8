"""Fine-tuning dataset files: `<datasets_root>/<tenant>/<version>.jsonl`, the newest sorting last."""
import json

import pytest

from tenantguard.config import Settings
from tenantguard.errors import DatasetInvalid
from tenantguard.evaluations.dataset_validation import NOT_UTF8
from tenantguard.home.datasets import dataset_versions, newest_state, newest_versions, raw_records, read_lines

from .dataset_files import write_version


@pytest.fixture
def settings(tmp_path):
    return Settings.from_env({"TENANTGUARD_HOME": str(tmp_path / "home")})


def rec(i, tenant="acme", **over):
    return json.dumps({"record_id": f"{tenant}-{i}", "tenant_id": tenant, "prompt": f"where is order {i}?",
                       "completion": f"order {i} ships on Monday.", **over})


def test_versions_are_the_jsonl_files_oldest_first(settings):
    for v in ("v0010", "v0002", "v0009"):
        write_version(settings, "acme", v, [rec(1)])
    (settings.datasets_root / "acme" / "README.txt").write_text("notes")
    (settings.datasets_root / "acme" / "v9999.jsonl").mkdir()  # a directory is not a version
    assert [p.name for p in dataset_versions(settings, "acme")] == ["v0002.jsonl", "v0009.jsonl", "v0010.jsonl"]


def test_no_directory_and_no_files_are_invalid_naming_the_directory(settings):
    with pytest.raises(DatasetInvalid, match=r"datasets/acme: no dataset directory for tenant 'acme'"):
        dataset_versions(settings, "acme")
    (settings.datasets_root / "acme").mkdir(parents=True)
    (settings.datasets_root / "acme" / "notes.txt").write_text("x")
    with pytest.raises(DatasetInvalid, match=r"datasets/acme: no <version>.jsonl dataset files"):
        dataset_versions(settings, "acme")


def test_newest_versions_lists_only_tenants_with_a_dataset(settings):
    write_version(settings, "acme", "v0001", [rec(1)])
    write_version(settings, "acme", "v0002", [rec(1)])
    write_version(settings, "borealis", "v0007", [rec(1, "borealis")])
    (settings.datasets_root / "empty").mkdir()
    assert newest_versions(settings, ["acme", "borealis", "empty", "nobody"]) == {
        "acme": "v0002.jsonl", "borealis": "v0007.jsonl"}


def test_newest_state_changes_with_a_new_version_or_a_grown_file_and_is_dash_without_data(settings):
    assert newest_state(settings, "acme") == "-"
    path = write_version(settings, "acme", "v0001", [rec(1)])
    first = newest_state(settings, "acme")
    assert first != "-" and newest_state(settings, "acme") == first
    write_version(settings, "acme", "v0001", [rec(1), rec(2)])
    grown = newest_state(settings, "acme")
    write_version(settings, "acme", "v0002", [rec(1), rec(2)])
    newest = newest_state(settings, "acme")
    assert len({first, grown, newest}) == 3
    path.unlink()  # an older version going away does not change what the newest is
    assert newest_state(settings, "acme") == newest


def test_read_lines_drops_a_leading_byte_order_mark_only_on_the_first_line(settings):
    path = write_version(settings, "acme", "v0001", [b"\xef\xbb\xbf" + rec(1).encode(), rec(2)])
    lines = read_lines(path)
    assert [json.loads(x)["record_id"] for x in lines] == ["acme-1", "acme-2"]


def test_read_lines_keeps_a_non_utf8_line_marked_and_escaped_so_validation_rejects_it(settings):
    path = write_version(settings, "acme", "v0001", [rec(1), b'{"prompt": "\xff\xfe"}', rec(3)])
    lines = read_lines(path)
    assert len(lines) == 3 and lines[1].startswith(NOT_UTF8) and "\\xff\\xfe" in lines[1]
    assert not lines[0].startswith(NOT_UTF8) and not lines[2].startswith(NOT_UTF8)


def test_raw_records_are_the_newest_versions_well_formed_own_records_cleaned(settings):
    write_version(settings, "acme", "v0001", [rec(i) for i in range(10)])
    write_version(settings, "acme", "v0002", [
        rec(1, prompt="ｗｈｅｒｅ\u200b is it?", extra="dropped"),  # normalized, extra keys dropped
        rec(2, tenant="borealis"),  # another tenant's record
        "{not json", "[1, 2]", json.dumps({"record_id": "acme-3", "tenant_id": "acme", "prompt": "p"}),
        rec(4, completion=7),  # a field that is not a string
        rec(5),
    ])
    records = raw_records(settings, "acme")
    assert [r["record_id"] for r in records] == ["acme-1", "acme-5"]
    assert records[0] == {"record_id": "acme-1", "tenant_id": "acme", "prompt": "where is it?",
                          "completion": "order 1 ships on Monday."}


def test_raw_records_of_a_tenant_without_data_are_empty(settings):
    assert raw_records(settings, "acme") == []

"""Ingest through a reader: validation, batching, order, quarantine; the same for every log format."""
import json

import pytest

from tenantguard.errors import ConfigError, InferenceLogInvalid
from tenantguard.monitoring import ingest
from tenantguard.monitoring.inference_log import InferenceLog
from tenantguard.monitoring.ingest import ingest_file
from tenantguard.monitoring.readers import LogRow, Rejection
from tenantguard.monitoring.readers.native import NativeReader


def _line(**kw):
    return json.dumps({"ts": "2026-01-31T12:00:00Z", "tenant_id": "acme", **kw})


class ListReader:
    """Yields prepared items, one a source line: a reader without a file format of its own."""

    name = "list"
    description = "a test list"

    def __init__(self, items):
        self.items = items

    def recognizes(self, head):
        return False

    def read(self, stream):
        stream.read()
        yield from self.items


@pytest.fixture
def log(tmp_path):
    return InferenceLog(f"sqlite:///{tmp_path / 'inference.db'}")


def _src(tmp_path, lines):
    path = tmp_path / "traffic.jsonl"
    path.write_text("".join(line + "\n" for line in lines))
    return path


def test_rows_are_appended_in_source_order_across_batches(tmp_path, log, monkeypatch):
    monkeypatch.setattr(ingest, "BATCH", 2)
    path = _src(tmp_path, [*(_line(prompt=f"p{i}") for i in range(3)), "[1, 2]", _line(prompt="p3"), _line(prompt="p4")])
    result = ingest_file(path, log, tmp_path / "q", reader=NativeReader())
    assert (result.appended, result.first_id, result.last_id, result.bad_lines) == (5, 1, 5, 1)
    assert [r["prompt"] for r in log.read()] == ["p0", "p1", "p2", "p3", "p4"]
    assert result.first_error.startswith(f"{path}:4: expected a JSON object with keys ['id', 'ts', ")


def test_an_id_that_does_not_grow_quarantines_only_its_own_line(tmp_path, log):
    log.append([{"ts": "2026-01-31T12:00:00Z", "tenant_id": "acme", "id": 10}])
    path = _src(tmp_path, [_line(id=11), _line(id=5), _line(prompt="next")])
    result = ingest_file(path, log, tmp_path / "q", reader=NativeReader())
    assert [r["id"] for r in log.read()] == [10, 11, 12]
    assert result.first_error == f"{path}:2: field 'id': 5 is not above the log's last id 11; ids only grow " \
                                 f"(omit 'id' to have one assigned)"
    (entry,) = [json.loads(x) for x in result.quarantine_path.read_text().splitlines()]
    assert entry == {"source": str(path), "line": 2, "reason": result.first_error, "raw": _line(id=5)}


def test_rejections_are_quarantined_in_line_order_with_source_and_line(tmp_path, log):
    path = _src(tmp_path, ["x"])
    reader = ListReader([Rejection(3, b"c", "third"), LogRow(1, b"a", {"ts": "now"}), Rejection(2, b"\xff", "bad")])
    result = ingest_file(path, log, tmp_path / "q", reader=reader)
    entries = [json.loads(x) for x in result.quarantine_path.read_text().splitlines()]
    assert [(e["line"], e["reason"]) for e in entries] == [
        (1, f"{path}:1: missing required field 'tenant_id'"), (2, f"{path}:2: bad"), (3, f"{path}:3: third")]
    assert entries[1]["raw_base64"] == "/w==" and entries[2]["raw"] == "c"
    assert result.quarantine_path.parent == tmp_path / "q" and result.appended == 0 and log.max_id() == 0


def test_notes_count_only_the_rows_that_were_kept(tmp_path, log):
    good = {"ts": "2026-01-31T12:00:00Z", "tenant_id": "acme"}
    reader = ListReader([LogRow(1, b"", good, "was repaired"), LogRow(2, b"", {**good, "tenant_id": "?"}, "was repaired"),
                         LogRow(3, b"", good, "was repaired"), LogRow(4, b"", good)])
    result = ingest_file(_src(tmp_path, ["x"]), log, tmp_path / "q", reader=reader)
    assert result.notes == {"was repaired": 2} and result.appended == 3


def test_a_clean_file_writes_no_quarantine(tmp_path, log):
    result = ingest_file(_src(tmp_path, [_line(), "", _line()]), log, tmp_path / "q", reader=NativeReader())
    assert (result.appended, result.bad_lines, result.quarantine_path, result.notes) == (2, 0, None, {})
    assert not (tmp_path / "q").exists()


def test_a_reader_that_yields_something_else_is_a_config_error(tmp_path, log):
    reader = ListReader([{"ts": "2026-01-31T12:00:00Z", "tenant_id": "acme"}])
    with pytest.raises(ConfigError, match="log reader 'list' yielded a dict; a reader yields LogRow, Rejection or Skipped"):
        ingest_file(_src(tmp_path, ["x"]), log, tmp_path / "q", reader=reader)


def test_a_missing_file_names_what_the_reader_expects(tmp_path, log):
    with pytest.raises(InferenceLogInvalid, match=r"nope.log: file not found \(expected a test list\)"):
        ingest_file(tmp_path / "nope.log", log, tmp_path / "q", reader=ListReader([]))

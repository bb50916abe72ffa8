"""The native reader: tenantguard's JSONL, one row a line; what it yields and which files it claims."""
import io
import json

import pytest

from tenantguard.monitoring.readers import LogRow, Rejection
from tenantguard.monitoring.readers.native import REPLACED_UTF8, NativeReader
from tenantguard.monitoring.readers.reader import HEAD_BYTES

ROW = {"ts": "2026-01-31T12:00:00Z", "tenant_id": "acme", "prompt": "hi"}


def read(data: bytes):
    return list(NativeReader().read(io.BytesIO(data)))


def test_each_non_blank_line_becomes_a_row_numbered_by_its_line():
    items = read(json.dumps(ROW).encode() + b"\r\n\n   \n" + b'{"ts": 1, "tenant_id": "b"}\n')
    assert items == [LogRow(1, json.dumps(ROW).encode(), ROW), LogRow(4, b'{"ts": 1, "tenant_id": "b"}',
                                                                      {"ts": 1, "tenant_id": "b"})]


def test_invalid_utf8_is_kept_as_replacement_characters_with_a_note():
    (item,) = read(b'{"ts": 1, "tenant_id": "acme", "prompt": "caf\xe9"}\n')
    assert item.row["prompt"] == "caf\ufffd" and item.note == REPLACED_UTF8
    assert item.raw.endswith(b'caf\xe9"}')  # the original bytes, for quarantine


@pytest.mark.parametrize("line, reason", [
    (b"{oops", "not valid JSON (Expecting property name enclosed in double quotes at column 2)"),
    (b"1" * 5000, "not valid JSON (ValueError: Exceeds the limit"),
    (b"[" * 200_000, "not valid JSON (RecursionError: maximum recursion depth exceeded"),
])
def test_a_line_that_is_not_json_is_one_rejection_with_a_one_line_reason(line, reason):
    (item,) = read(b"\n" + line + b"\n")
    assert isinstance(item, Rejection) and item.line == 2 and item.raw == line
    assert item.reason.startswith(reason) and "\n" not in item.reason


def test_rows_are_not_validated_here():
    assert read(b'{"colour": "red"}\n[1]\n') == [LogRow(1, b'{"colour": "red"}', {"colour": "red"}),
                                                  LogRow(2, b"[1]", [1])]


@pytest.mark.parametrize("head, expected", [
    (b"\n" + json.dumps(ROW).encode() + b"\n", True),
    (json.dumps({**ROW, "params": {"temperature": 0}}).encode(), True),
    (b'{"ts": 1, "tenant_id": "acme", "prompt": "' + b"x" * HEAD_BYTES, True),  # a first line cut off by the head
    (json.dumps({"ts": 1}).encode(), False),  # no tenant
    (json.dumps({**ROW, "trace_id": "ab"}).encode(), False),  # a key the contract does not have
    (b'{"resourceSpans": [{"resource": {}, "scopeSpans": [' + b" " * HEAD_BYTES, False),
    (b"ts=1 tenant_id=acme", False),
    (b"", False),
])
def test_it_recognizes_files_whose_first_row_is_in_inference_log_shape(head, expected):
    assert NativeReader().recognizes(head) is expected

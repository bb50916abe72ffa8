"""A log row becomes a `Request` whatever it holds: every field coerced to its type, nothing raised, and each
repair counted under a name, so a scan reports what it had to fix instead of skipping rows."""
import time
from datetime import datetime, timezone

import pytest

from tenantguard.monitoring.abuse.request import Coercions, to_request

NEW_YEAR = datetime(2026, 1, 1, tzinfo=timezone.utc).timestamp()


@pytest.fixture
def far_from_utc(monkeypatch):
    """The host in another zone, so a naive time read as local time would be hours off."""
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def convert(row: dict, last_ts: float = 0.0):
    notes = Coercions()
    full = {"id": 1, "ts": NEW_YEAR, "tenant_id": "tenant-0", "prompt": "hi", "completion": "hello", **row}
    return to_request(full, last_ts, notes), dict(notes.counts)


def test_a_complete_row_is_taken_as_it_is_and_nothing_is_noted():
    r, notes = convert({"id": 7, "ts": NEW_YEAR, "feature": "support-assistant", "api_key": "k", "session_id": "s",
                        "prompt_tokens": 12, "completion_tokens": 30, "params": {"max_tokens": 256}})
    assert (r.id, r.ts, r.tenant_id, r.feature, r.api_key, r.session_id) == (7, NEW_YEAR, "tenant-0",
                                                                          "support-assistant", "k", "s")
    assert (r.prompt, r.completion, r.prompt_tokens, r.completion_tokens, r.max_tokens) == ("hi", "hello", 12, 30, 256)
    assert r.extraction_params is False and (r.injection, r.payload, r.text) == (0.0, "", "")  # the scanner fills these
    assert notes == {}


@pytest.mark.parametrize(("ts", "expected"), [
    ("2026-01-01T00:00:00Z", NEW_YEAR),
    ("2026-01-01T01:00:00+01:00", NEW_YEAR),  # an offset is honoured
    ("2026-01-01T00:00:00", NEW_YEAR),  # naive means UTC, not the host's zone
    ("2026-01-01T00:00:00.250000Z", NEW_YEAR + 0.25),  # the log's own format
    (NEW_YEAR, NEW_YEAR),
    (5, 5.0),
])
def test_timestamps_parse_from_iso_text_or_epoch_seconds(ts, expected, far_from_utc):
    r, notes = convert({"ts": ts})
    assert r.ts == expected and notes == {}


@pytest.mark.parametrize("ts", ["not a time", None, True, float("nan"), float("inf"), [2026]])
def test_an_unusable_timestamp_takes_the_last_good_one_and_is_counted(ts):
    r, notes = convert({"ts": ts}, last_ts=123.5)
    assert r.ts == 123.5 and notes == {"unparseable_ts": 1}


@pytest.mark.parametrize(("params", "extraction"), [
    ({"logprobs": True, "top_logprobs": 20}, True),
    ({"top_logprobs": 5}, True),
    ({"logprobs": 5}, True),  # the legacy completions API: logprobs is the number of alternatives
    ({"logprobs": True}, False),  # a classifier reading its own confidence exposes no distribution
    ({"logprobs": True, "top_logprobs": 2}, False),
    ({"logit_bias": {"50256": -100}}, True),
    ({"echo": True, "max_tokens": 1}, True),
    ({"logprobs": False, "top_logprobs": 0, "logit_bias": {}, "echo": None}, False),  # present but switched off
    ({"max_tokens": 512, "temperature": 0.3}, False),
    ({}, False),
    (None, False),
])
def test_only_a_switched_on_logit_parameter_marks_a_request_as_extraction_capable(params, extraction):
    r, notes = convert({"params": params})
    assert r.extraction_params is extraction and notes == {}


@pytest.mark.parametrize("params", ["garbage", ["logprobs"], 3])
def test_params_that_are_not_an_object_are_dropped_and_counted(params):
    r, notes = convert({"params": params})
    assert (r.extraction_params, r.max_tokens) == (False, None) and notes == {"params_not_object": 1}


@pytest.mark.parametrize(("max_tokens", "expected"), [(256, 256), (0, None), (-3, None), ("256", None), (2.5, None)])
def test_max_tokens_is_kept_only_as_a_positive_integer(max_tokens, expected):
    assert convert({"params": {"max_tokens": max_tokens}})[0].max_tokens == expected


@pytest.mark.parametrize(("value", "expected", "noted"), [
    (None, 0, False),  # absent: nothing to repair
    (0, 0, False),
    (41.9, 41, False),
    (-4, 0, True),
    (float("nan"), 0, True),
    (True, 0, True),  # a bool is not a count
    ("12", 0, True),
])
def test_token_counts_are_non_negative_integers(value, expected, noted):
    r, notes = convert({"prompt_tokens": value, "completion_tokens": value})
    assert (r.prompt_tokens, r.completion_tokens) == (expected, expected)
    assert notes == ({"invalid_prompt_tokens": 1, "invalid_completion_tokens": 1} if noted else {})


def test_texts_become_strings_nulls_and_bytes_are_counted_per_field():
    r, notes = convert({"prompt": b"caf\xc3\xa9 \xff", "completion": None})
    assert (r.prompt, r.completion) == ("café \ufffd", "") and notes == {"bytes_prompt": 1, "null_completion": 1}
    r, notes = convert({"prompt": 42, "completion": bytearray(b"ok")})
    assert (r.prompt, r.completion) == ("42", "ok") and notes == {"bytes_completion": 1}


def test_missing_identity_fields_get_placeholders_not_errors():
    notes = Coercions()
    r = to_request({"id": None, "tenant_id": ""}, 9.0, notes)
    assert (r.id, r.tenant_id, r.api_key, r.session_id, r.feature) == (0, "unknown", None, None, None)
    assert (r.ts, r.prompt, r.completion) == (9.0, "", "")
    assert notes.counts == {"unparseable_ts": 1, "null_prompt": 1, "null_completion": 1}


def test_notes_accumulate_over_rows():
    notes = Coercions()
    for i in range(3):
        to_request({"id": i + 1, "tenant_id": "tenant-0", "ts": "bad", "prompt": None, "completion": "x"}, 0.0, notes)
    assert notes.counts == {"unparseable_ts": 3, "null_prompt": 3}

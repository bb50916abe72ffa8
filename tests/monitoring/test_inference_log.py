import pytest

from tenantguard.errors import InferenceLogInvalid
from tenantguard.monitoring.inference_log import COLUMNS, InferenceLog


def _row(**kw):
    row = {"ts": "2026-01-31T12:00:00Z", "tenant_id": "acme", "api_key": "k1", "prompt": "hello"}
    row.update(kw)
    return row


@pytest.fixture
def log(tmp_path):
    return InferenceLog(f"sqlite:///{tmp_path / 'db' / 'inference.db'}")


def test_append_assigns_growing_ids_and_read_returns_them_in_order(log):
    assert log.max_id() == 0
    assert log.append([_row(prompt=f"p{i}") for i in range(5)]) == 5
    rows = log.read()
    assert [r["id"] for r in rows] == [1, 2, 3, 4, 5]
    assert set(rows[0]) == set(COLUMNS)
    assert [r["prompt"] for r in log.read(after_id=2, limit=2)] == ["p2", "p3"]
    assert log.max_id() == 5


def test_missing_optional_fields_are_null_and_params_round_trip(log):
    log.append([_row(params={"logprobs": 5, "max_tokens": 10}), _row(params='{"temperature": 0.2}')])
    a, b = log.read()
    assert a["completion"] is None and a["prompt_tokens"] is None and a["region"] is None
    assert a["params"] == {"logprobs": 5, "max_tokens": 10}
    assert b["params"] == {"temperature": 0.2}
    assert a["ts"] == "2026-01-31T12:00:00.000000Z"


@pytest.mark.parametrize("row, message", [
    (_row(colour="red"), "row 0: unknown field(s) ['colour']"),
    ({"tenant_id": "acme"}, "row 0: missing required field 'ts'"),
    (_row(tenant_id="Acme"), "row 0 field 'tenant_id'"),
    (_row(prompt_tokens=-3), "row 0 field 'prompt_tokens': expected a non-negative integer, got -3"),
    (_row(completion_tokens=True), "row 0 field 'completion_tokens'"),
    (_row(ts="yesterday"), "row 0 field 'ts'"),
    (_row(params="{not json"), "row 0 field 'params': not valid JSON"),
    (_row(prompt=12), "row 0 field 'prompt': expected a string or null, got int"),
    (_row(latency_ms=float("nan")), "row 0 field 'latency_ms'"),
])
def test_invalid_rows_are_rejected_with_a_one_line_error_naming_row_and_field(log, row, message):
    with pytest.raises(InferenceLogInvalid) as exc:
        log.append([row])
    assert message in str(exc.value) and "\n" not in str(exc.value)
    assert log.max_id() == 0  # all or nothing


def test_binary_looking_text_and_bytes_are_kept_not_dropped(log):
    log.append([_row(prompt="a\x00b\ud800c", completion=b"\xff\xfeok")])
    (row,) = log.read()
    assert row["prompt"] == "a\ufffdb\ufffdc"
    assert row["completion"].endswith("ok") and "\ufffd" in row["completion"]


def test_huge_field_is_rejected_not_truncated(tmp_path):
    small = InferenceLog(f"sqlite:///{tmp_path / 'i.db'}", max_text_chars=100)
    with pytest.raises(InferenceLogInvalid, match="101 characters exceeds the limit of 100"):
        small.append([_row(prompt="x" * 101)])


def test_given_ids_must_grow(log):
    log.append([_row(id=10)])
    with pytest.raises(InferenceLogInvalid, match="field 'id': 7 is not above the log's last id 10"):
        log.append([_row(id=7)])
    log.append([_row()])
    assert [r["id"] for r in log.read()] == [10, 11]


def test_out_of_order_timestamps_are_accepted_and_read_by_id(log):
    log.append([_row(ts="2026-01-31T12:00:05Z"), _row(ts="2026-01-31T11:00:00+01:00"), _row(ts=1769860800)])
    assert [r["ts"][:19] for r in log.read()] == ["2026-01-31T12:00:05", "2026-01-31T10:00:00", "2026-01-31T12:00:00"]



@pytest.fixture(params=["sqlite", "postgresql"])
def any_log_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'inference.db'}"
    return request.getfixturevalue("pg_plain_url")[0]


def test_rows_whose_source_id_the_log_holds_are_skipped_within_and_across_appends(any_log_url):
    log = InferenceLog(any_log_url)
    row = {"ts": "2026-01-31T12:00:00Z", "tenant_id": "acme"}
    assert log.append([{**row, "source_id": "span:a"}, {**row, "source_id": "span:a"}, row, row]) == 3
    assert log.append([{**row, "source_id": "span:a"}, {**row, "source_id": "span:b"}]) == 1
    # Rows carrying their own id: a duplicate is skipped before the id is checked against the last one.
    assert log.append([{**row, "id": 1000, "source_id": "span:b"}, {**row, "id": 1001, "source_id": "span:c"}]) == 1
    assert [r["source_id"] for r in log.read()] == ["span:a", None, None, "span:b", "span:c"]
    log.engine.dispose()


def test_a_table_made_before_source_id_gains_the_column_and_its_unique_index(tmp_path):
    import sqlalchemy as sa

    url = f"sqlite:///{tmp_path / 'old.db'}"
    with sa.create_engine(url).begin() as conn:
        conn.exec_driver_sql("CREATE TABLE inference_log (id INTEGER PRIMARY KEY AUTOINCREMENT, ts VARCHAR(32) NOT NULL, "
                             "tenant_id VARCHAR(40) NOT NULL, feature VARCHAR(256), region VARCHAR(256), api_key "
                             "VARCHAR(256), session_id VARCHAR(256), model_version VARCHAR(256), prompt TEXT, completion "
                             "TEXT, prompt_tokens INTEGER, completion_tokens INTEGER, latency_ms FLOAT, params TEXT)")
        conn.exec_driver_sql("INSERT INTO inference_log (ts, tenant_id) VALUES ('2026-01-31T12:00:00.000000Z', 'acme')")
    log = InferenceLog(url)
    row = {"ts": "2026-01-31T12:00:01Z", "tenant_id": "acme", "source_id": "litellm:1"}
    assert log.append([row]) == 1 and log.append([row]) == 0
    assert [(r["id"], r["source_id"]) for r in log.read()] == [(1, None), (2, "litellm:1")]
    InferenceLog(url)  # a second open finds both in place

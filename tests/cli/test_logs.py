"""`tenantguard logs ingest`: output, exit codes and quarantine, for the native format and a plug-in reader."""
import base64
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tenantguard.cli.main import cli
from tenantguard.monitoring.inference_log import InferenceLog

PLUGINS = Path(__file__).resolve().parents[1] / "plugins"


def _row(**kw):
    row = {"ts": "2026-01-31T12:00:00Z", "tenant_id": "acme", "api_key": "k1", "prompt": "hello"}
    row.update(kw)
    return row


def _stored(home):
    return InferenceLog(f"sqlite:///{home / 'inference.db'}").read()


def _quarantined(home):
    (qfile,) = (home / "quarantine" / "logs").iterdir()
    return [json.loads(line) for line in qfile.read_text().splitlines()]


@pytest.fixture
def kv_reader(tg_home, monkeypatch):
    """The `kv` plug-in reader of tests/plugins, registered the way a user would: by setting."""
    monkeypatch.syspath_prepend(str(PLUGINS))
    monkeypatch.setenv("TENANTGUARD_LOG_READERS", "log_reader_kv:make_reader")
    return tg_home


def test_logs_ingest_appends_good_lines_and_quarantines_bad_ones(tg_home, tmp_path):
    src = tmp_path / "traffic.jsonl"
    lines = [json.dumps(_row(prompt="one")).encode(), b"{oops", json.dumps(_row(prompt_tokens=-1)).encode(),
             b"", json.dumps(_row(prompt="caf\xe9"), ensure_ascii=False).encode("latin-1"),
             json.dumps(_row(prompt="two")).encode()]
    src.write_bytes(b"\n".join(lines) + b"\n")
    result = CliRunner().invoke(cli, ["logs", "ingest", str(src)])
    assert result.exit_code == 2
    assert f"{src}:2: not valid JSON" in result.stderr
    assert "2 bad line(s) quarantined" in result.stderr
    assert "note: 1 line(s) held invalid UTF-8; those bytes were kept as U+FFFD" in result.stdout
    assert [r["prompt"] for r in _stored(tg_home)] == ["one", "caf\ufffd", "two"]
    bad = _quarantined(tg_home)
    assert [b["line"] for b in bad] == [2, 3]
    assert "prompt_tokens" in bad[1]["reason"] and bad[0]["raw"] == "{oops"


def test_logs_ingest_of_a_clean_file_exits_zero(tg_home, tmp_path):
    src = tmp_path / "ok.jsonl"
    src.write_text("\n".join(json.dumps(_row(prompt=str(i))) for i in range(3)) + "\n")
    result = CliRunner().invoke(cli, ["logs", "ingest", str(src), "--format", "native"])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"ingested 3 rows (ids 1..3) into sqlite:///{tg_home / 'inference.db'}\n"


def test_logs_ingest_of_a_missing_file_is_bad_input(tg_home, tmp_path):
    result = CliRunner().invoke(cli, ["logs", "ingest", str(tmp_path / "nope.jsonl")])
    assert result.exit_code == 2
    assert result.stderr == f"error: {tmp_path / 'nope.jsonl'}: file not found (expected a JSONL file of inference-log rows)\n"


def test_an_unknown_format_is_bad_input_naming_the_known_ones(kv_reader, tmp_path):
    src = tmp_path / "t.jsonl"
    src.write_text(json.dumps(_row()) + "\n")
    result = CliRunner().invoke(cli, ["logs", "ingest", str(src), "--format", "xml"])
    assert result.exit_code == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: --format 'xml': unknown log format; known: auto, native, otlp, openinference, "
                           "litellm, langfuse, kv ")
    assert _stored(kv_reader) == []


def test_a_plug_in_reader_runs_end_to_end_into_the_inference_log(kv_reader, tmp_path):
    src = tmp_path / "gateway.kv"
    src.write_bytes(b"ts=2026-01-31T12:00:00Z tenant_id=acme api_key=k1 prompt=hello%20there prompt_tokens=2\n"
                    b"this line is not key value\n"
                    b"\n"
                    b"ts=2026-01-31T12:00:01Z tenant_id=Globex prompt=hi\n"
                    b"ts=2026-01-31T12:00:02Z tenant_id=acme prompt=caf\xe9\n"
                    b"ts=2026-01-31T12:00:03Z tenant_id=globex completion=ok latency_ms=12\n")
    result = CliRunner().invoke(cli, ["logs", "ingest", str(src), "--format", "kv"])
    assert result.exit_code == 2, result.output
    assert "ingested 2 rows (ids 1..2)" in result.stdout
    assert f"error: {src}:2: expected key=value pairs, got 'this'" in result.stderr
    assert "3 bad line(s) quarantined" in result.stderr
    rows = _stored(kv_reader)
    assert [(r["tenant_id"], r["prompt"], r["prompt_tokens"]) for r in rows] == [("acme", "hello there", 2),
                                                                               ("globex", None, None)]
    assert rows[1]["completion"] == "ok" and rows[1]["latency_ms"] == 12.0
    bad = _quarantined(kv_reader)
    assert [b["line"] for b in bad] == [2, 4, 5]
    assert "field 'tenant_id'" in bad[1]["reason"]
    assert bad[2]["reason"] == f"{src}:5: invalid UTF-8 at byte 49"
    assert base64.b64decode(bad[2]["raw_base64"]).endswith(b"prompt=caf\xe9")  # byte-exact


def test_format_auto_picks_the_reader_that_recognizes_the_file(kv_reader, tmp_path):
    kv, jsonl = tmp_path / "a.kv", tmp_path / "b.jsonl"
    kv.write_text("ts=2026-01-31T12:00:00Z tenant_id=acme prompt=from-kv\n")
    jsonl.write_text(json.dumps(_row(prompt="from-jsonl")) + "\n")
    for src in (kv, jsonl):
        result = CliRunner().invoke(cli, ["logs", "ingest", str(src), "--format", "auto"])
        assert result.exit_code == 0, result.output
    assert [r["prompt"] for r in _stored(kv_reader)] == ["from-kv", "from-jsonl"]


def test_format_auto_asks_for_a_format_when_no_reader_recognizes_the_file(kv_reader, tmp_path):
    src = tmp_path / "metrics.json"
    src.write_text(json.dumps({"resourceMetrics": []}) + "\n")
    result = CliRunner().invoke(cli, ["logs", "ingest", str(src), "--format", "auto"])
    assert result.exit_code == 2
    assert result.stderr == ("error: --format auto: none of the formats native, otlp, openinference, litellm, "
                             "langfuse, kv recognizes the file's start; pass --format NAME\n")


def _tenants(home, *ids):
    from tenantguard.tenants import Tenant, dump_tenants

    home.mkdir(parents=True, exist_ok=True)
    dump_tenants([Tenant(t, t, "eu-west", ("support-assistant",), "p") for t in ids], home / "tenants.yaml")


def _otlp_line(*tenants, attrs=None):
    def kv(k, v):
        return {"key": k, "value": {"intValue": str(v)} if isinstance(v, int) else {"stringValue": v}}
    spans = [{"traceId": "ab" * 16, "spanId": f"{i + 1:016x}", "startTimeUnixNano": "1767225600000000000",
              "attributes": [kv(k, v) for k, v in {"gen_ai.operation.name": "chat", "tenant.id": t, "user.id": "k",
                                                   **(attrs or {})}.items()]}
             for i, t in enumerate(tenants)]
    return json.dumps({"resourceSpans": [{"resource": {}, "scopeSpans": [{"scope": {}, "spans": spans}]}]}) + "\n"


def test_ingesting_the_same_spans_again_adds_nothing(tg_home, tmp_path):
    _tenants(tg_home, "acme")
    src = tmp_path / "spans.jsonl"
    src.write_text(_otlp_line("acme", "acme", attrs={"gen_ai.usage.output_tokens": 3}))
    first = CliRunner().invoke(cli, ["logs", "ingest", str(src), "--format", "auto"])
    assert first.exit_code == 0 and first.stdout.startswith("ingested 2 rows (ids 1..2)")
    again = CliRunner().invoke(cli, ["logs", "ingest", str(src), "--format", "otlp"])
    assert again.exit_code == 0
    assert again.stdout.splitlines()[:2] == [f"ingested 0 rows into sqlite:///{tg_home / 'inference.db'}",
                                             "skipped 2 row(s) already in the log (same source id)"]
    assert len(_stored(tg_home)) == 2


def test_a_span_of_a_tenant_not_in_tenants_yaml_is_quarantined_with_its_line(tg_home, tmp_path):
    _tenants(tg_home, "acme")
    src = tmp_path / "spans.jsonl"
    src.write_text(_otlp_line("acme", "initech"))
    result = CliRunner().invoke(cli, ["logs", "ingest", str(src), "--format", "otlp"])
    assert result.exit_code == 2
    assert f"{src}:1 field 'tenant_id': tenant 'initech' is not in tenants.yaml" in result.stderr
    assert [r["tenant_id"] for r in _stored(tg_home)] == ["acme"]
    (entry,) = [json.loads(line) for line in (tg_home / "quarantine" / "logs").glob("*.jsonl").__next__().open()]
    assert json.loads(entry["raw"])["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["spanId"] == f"{2:016x}"


def test_tenant_and_key_paths_come_from_flags_or_settings(tg_home, tmp_path, monkeypatch):
    _tenants(tg_home, "acme", "globex")
    src = tmp_path / "spans.jsonl"
    src.write_text(_otlp_line("acme", attrs={"app.customer": "globex", "app.key": "key-7"}))
    result = CliRunner().invoke(cli, ["logs", "ingest", str(src), "--format", "otlp", "--tenant-path", "app.customer"],
                                env={"TENANTGUARD_KEY_PATHS": "app.key"})
    assert result.exit_code == 0, result.output
    assert [(r["tenant_id"], r["api_key"]) for r in _stored(tg_home)] == [("globex", "key-7")]


def test_formats_that_resolve_tenants_need_tenants_yaml(tg_home, tmp_path):
    src = tmp_path / "spans.jsonl"
    src.write_text(_otlp_line("acme"))
    result = CliRunner().invoke(cli, ["logs", "ingest", str(src), "--format", "auto"])
    assert result.exit_code == 2
    assert result.stderr == (f"error: {tg_home / 'tenants.yaml'}: tenants file not found; --format otlp checks every "
                             f"tenant id it resolves against it (run `tenantguard demo` or set TENANTGUARD_TENANTS)\n")

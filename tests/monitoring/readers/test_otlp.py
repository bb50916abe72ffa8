"""OTLP JSON files as the Collector's file exporter writes them: one row per model-call span, other spans
counted, a malformed span rejected alone as a re-ingestible OTLP line, invalid UTF-8 rejected as is."""
import io
import json

from tenantguard.monitoring.readers import LogRow, Rejection, Skipped
from tenantguard.monitoring.readers.otlp import OtlpReader


def kv(key, value):
    if isinstance(value, bool):
        return {"key": key, "value": {"boolValue": value}}
    if isinstance(value, int):
        return {"key": key, "value": {"intValue": str(value)}}
    if isinstance(value, float):
        return {"key": key, "value": {"doubleValue": value}}
    if isinstance(value, list):
        return {"key": key, "value": {"arrayValue": {"values": [kv("", v)["value"] for v in value]}}}
    return {"key": key, "value": {"stringValue": value}}


def span(i, attrs, **extra):
    return {"traceId": "0AF7651916CD43DD8448EB211C80319C", "spanId": f"{i:016X}", "name": "chat", "kind": 3,
            "startTimeUnixNano": "1767225600000000000", "endTimeUnixNano": "1767225600100000000",
            "attributes": [kv(k, v) for k, v in attrs.items()], "status": {}, **extra}


def line(spans, tenant="acme"):
    return json.dumps({"resourceSpans": [{
        "resource": {"attributes": [kv("tenant.id", tenant), kv("service.name", "gateway")]},
        "scopeSpans": [{"scope": {"name": "opentelemetry.instrumentation.openai_v2", "version": "2.1b0"},
                        "spans": spans}]}]}).encode()


CHAT = {"gen_ai.operation.name": "chat", "gen_ai.request.model": "m", "gen_ai.usage.input_tokens": 4,
        "gen_ai.request.stop_sequences": ["\n\n"], "user.id": "k1"}


def test_each_chat_span_is_a_row_with_ids_lowered_and_other_spans_skipped():
    data = line([span(1, CHAT), span(2, {"http.request.method": "POST"}),
                 span(3, {**CHAT, "gen_ai.operation.name": "embeddings"})]) + b"\n\n" + line([span(4, CHAT)], "globex")
    items = list(OtlpReader().read(io.BytesIO(data)))
    assert [type(i) for i in items] == [LogRow, Skipped, Skipped, LogRow]
    assert [i.line for i in items] == [1, 1, 1, 3]
    first = items[0].row
    assert first["source_id"] == f"span:0af7651916cd43dd8448eb211c80319c:{1:016x}"
    assert (first["tenant_id"], first["api_key"], first["prompt_tokens"]) == ("acme", "k1", 4)
    assert first["params"] == {"stop_sequences": ["\n\n"]} and items[3].row["tenant_id"] == "globex"


def test_a_malformed_span_is_rejected_alone_as_an_otlp_line_of_its_own():
    bad = span(2, CHAT, startTimeUnixNano={"not": "a time"})
    (good, rejected) = OtlpReader().read(io.BytesIO(line([span(1, CHAT), bad])))
    assert isinstance(good, LogRow) and isinstance(rejected, Rejection)
    assert rejected.reason.startswith("malformed span (Expected `int | str`, got `object`")
    alone = json.loads(rejected.raw)
    assert alone["resourceSpans"][0]["resource"]["attributes"][0] == kv("tenant.id", "acme")
    assert alone["resourceSpans"][0]["scopeSpans"][0]["spans"] == [bad]
    (again,) = OtlpReader().read(io.BytesIO(rejected.raw))  # what quarantine keeps reads as OTLP again
    assert isinstance(again, Rejection) and again.reason == rejected.reason


def test_invalid_utf8_and_lines_that_are_not_export_requests_are_rejected_whole():
    data = line([span(1, CHAT)]).replace(b'"k1"', b'"k\xe91"') + b"\n" + b'{"resourceSpans": 3}\n' + b"[oops\n"
    items = list(OtlpReader().read(io.BytesIO(data)))
    assert [(i.line, type(i)) for i in items] == [(1, Rejection), (2, Rejection), (3, Rejection)]
    assert items[0].reason.startswith("invalid UTF-8 at byte ") and b"\xe9" in items[0].raw
    assert items[1].reason.startswith("not an OTLP/JSON export request (Expected `array`, got `int`")


def test_recognizes_resource_spans_and_leaves_openinference_files_to_their_reader():
    genai, oi = line([span(1, CHAT)]), line([span(1, {"openinference.span.kind": "LLM"})])
    assert OtlpReader().recognizes(genai) and not OtlpReader().recognizes(oi)
    assert OtlpReader(name="openinference").recognizes(oi) and not OtlpReader(name="openinference").recognizes(genai)
    assert not OtlpReader().recognizes(b'{"ts": "2026-01-31T12:00:00Z", "tenant_id": "acme"}\n')


def test_the_openinference_format_reads_openinference_spans_and_skips_genai_ones():
    data = line([span(1, {"openinference.span.kind": "LLM", "input.value": "hi", "user.id": "u"}), span(2, CHAT)])
    row, skipped = OtlpReader(name="openinference").read(io.BytesIO(data))
    assert row.row["prompt"] == "hi" and isinstance(skipped, Skipped)

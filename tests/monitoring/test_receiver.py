"""`logs serve`'s receiver on an ephemeral port, fed by the real OpenTelemetry SDK exporter and by raw
OTLP/JSON (the Collector's encoding): rows in the inference log, count in = rows out, bounded and guarded."""
import gzip
import json
import threading
import urllib.error
import urllib.request

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from tenantguard.config import Settings
from tenantguard.demo.traffic import generate_traffic
from tenantguard.errors import ConfigError
from tenantguard.monitoring.inference_log import InferenceLog
from tenantguard.monitoring.receiver import Receiver

from otlp_export import export_rows  # tests/monitoring/otlp_export.py (this directory is on sys.path)

TENANTS = {"acme": "You are Acme's assistant.", "globex": "You are Globex's assistant."}


@pytest.fixture
def receiver(tmp_path):
    made = []

    def start(**kw):
        env = {"TENANTGUARD_OTLP_TOKEN": kw.pop("token")} if "token" in kw else {}
        srv = Receiver(Settings.from_env(env, home=tmp_path / "home"), port=0, tenants=set(TENANTS), **kw)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        made.append(srv)
        return srv

    yield start
    for srv in made:
        srv.shutdown()
        srv.server_close()


def _rows(srv):
    return InferenceLog(srv.settings.inference_log_url).read(limit=100_000)


def _post(srv, body: bytes, ctype="application/json", **headers):
    req = urllib.request.Request(srv.url + "/v1/traces", data=body, method="POST",
                                 headers={"Content-Type": ctype, **headers})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _collector_line(spans, resource=None):
    """One line as the Collector's file exporter writes it (OTLP/JSON: hex ids, int64 as strings)."""
    def kv(k, v):
        value = {"intValue": str(v)} if isinstance(v, int) else {"stringValue": v}
        return {"key": k, "value": value}
    return {"resourceSpans": [{"resource": {"attributes": [kv(k, v) for k, v in (resource or {}).items()]},
                               "scopeSpans": [{"scope": {"name": "gateway"}, "spans": [
                                   {"traceId": "ab" * 16, "spanId": f"{i + 1:016x}", "name": "chat m", "kind": 3,
                                    "startTimeUnixNano": str(1_767_225_600_000_000_000 + i * 10**9),
                                    "endTimeUnixNano": str(1_767_225_600_250_000_000 + i * 10**9),
                                    "attributes": [kv(k, v) for k, v in attrs.items()]}
                                   for i, attrs in enumerate(spans)]}]}]}


def test_every_span_the_sdk_exporter_sends_becomes_one_row_with_its_text(receiver):
    srv = receiver()
    traffic = generate_traffic(600, tenants=TENANTS, seed=5, campaigns=("token_budget",))
    export_rows(traffic.rows, srv.url + "/v1/traces", batch=128)
    rows = _rows(srv)
    assert len(rows) == len(traffic.rows)  # count in = rows out
    by_source = sorted(rows, key=lambda r: r["ts"])
    sent = sorted(traffic.rows, key=lambda r: r["ts"])
    for got, want in zip(by_source[:50], sent[:50]):
        assert (got["tenant_id"], got["api_key"], got["session_id"], got["prompt"], got["completion"]) == \
            (want["tenant_id"], want["api_key"], want["session_id"], want["prompt"], want["completion"])
        assert (got["prompt_tokens"], got["completion_tokens"]) == (want["prompt_tokens"], want["completion_tokens"])
    assert all(r["source_id"].startswith("span:") for r in rows)


def test_metadata_only_spans_become_rows_without_text(receiver):
    srv = receiver()
    traffic = generate_traffic(20, tenants=TENANTS, seed=1, campaigns=())
    export_rows(traffic.rows, srv.url + "/v1/traces", content=False)
    rows = _rows(srv)
    assert len(rows) == 20 and all(r["prompt"] is None and r["completion"] is None for r in rows)
    assert all(r["completion_tokens"] is not None for r in rows)


def test_collector_json_is_accepted_and_a_resent_request_adds_nothing(receiver):
    srv = receiver()
    body = json.dumps(_collector_line([{"gen_ai.operation.name": "chat", "gen_ai.request.model": "m",
                                        "user.id": "k1", "gen_ai.usage.output_tokens": 9}] * 3,
                                      resource={"tenant.id": "globex"})).encode()
    assert _post(srv, body) == (200, b"{}")
    assert _post(srv, gzip.compress(body), **{"Content-Encoding": "gzip"}) == (200, b"{}")  # the retry
    rows = _rows(srv)
    assert [(r["tenant_id"], r["api_key"], r["completion_tokens"]) for r in rows] == [("globex", "k1", 9)] * 3


def test_a_span_of_an_unknown_tenant_is_quarantined_and_counted_as_rejected(receiver):
    srv = receiver()
    body = _collector_line([{"gen_ai.operation.name": "chat", "tenant.id": t} for t in ("acme", "initech")])
    status, answer = _post(srv, json.dumps(body).encode())
    assert status == 200
    partial = json.loads(answer)["partialSuccess"]
    assert partial["rejectedSpans"] == "1" and "tenant 'initech' is not in tenants.yaml" in partial["errorMessage"]
    assert [r["tenant_id"] for r in _rows(srv)] == ["acme"]
    (qfile,) = (srv.settings.quarantine_root / "otlp").iterdir()
    (entry,) = [json.loads(line) for line in qfile.read_text().splitlines()]
    quarantined = json.loads(entry["raw"])  # the span alone, in its resource and scope: an OTLP request again
    assert [s["spanId"] for s in quarantined["resourceSpans"][0]["scopeSpans"][0]["spans"]] == [f"{2:016x}"]


def test_protobuf_answers_partial_success_in_protobuf(receiver):
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
    from google.protobuf.json_format import ParseDict

    srv = receiver()
    line = _collector_line([{"gen_ai.operation.name": "chat", "tenant.id": "nobody-here"}])
    line["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["traceId"] = "q83vEjRWeJA="  # protobuf JSON: base64 ids
    line["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["spanId"] = "AAAAAAAAAAE="
    request = ParseDict(line, ExportTraceServiceRequest())
    status, answer = _post(srv, request.SerializeToString(), "application/x-protobuf")
    response = ExportTraceServiceResponse.FromString(answer)
    assert status == 200 and response.partial_success.rejected_spans == 1
    assert _rows(srv) == []


@pytest.mark.parametrize("body, ctype, headers, code", [
    (b"{}" * 3000, "application/json", {}, 413),
    (gzip.compress(b" " * 20_000), "application/json", {"Content-Encoding": "gzip"}, 413),
    (b"{}", "text/plain", {}, 415),
])
def test_requests_outside_the_bounds_are_refused(receiver, body, ctype, headers, code):
    srv = receiver(max_request_bytes=4096)
    assert _post(srv, body, ctype, **headers)[0] == code
    assert _rows(srv) == []


def test_a_body_that_does_not_decode_is_quarantined_whole_and_answered_400(receiver):
    srv = receiver()
    status, answer = _post(srv, b"\x0a\xff\xff\xff", "application/x-protobuf")
    assert status == 400 and b"quarantined" in answer
    (qfile,) = (srv.settings.quarantine_root / "otlp").iterdir()
    assert "raw_base64" in json.loads(qfile.read_text())


def test_a_token_is_required_when_set_and_beyond_loopback(receiver, tmp_path):
    srv = receiver(token="s3cret")
    body = json.dumps(_collector_line([{"gen_ai.operation.name": "chat", "tenant.id": "acme"}])).encode()
    assert _post(srv, body)[0] == 401
    assert _post(srv, body, Authorization="Bearer wrong")[0] == 401
    assert _post(srv, body, Authorization="Bearer s3cret")[0] == 200
    traffic = generate_traffic(5, tenants=TENANTS, seed=2, campaigns=())
    export_rows(traffic.rows, srv.url + "/v1/traces", headers={"Authorization": "Bearer s3cret"})
    assert len(_rows(srv)) == 1 + 5
    with pytest.raises(ConfigError, match="serving beyond loopback needs a bearer token"):
        Receiver(Settings.from_env({}, home=tmp_path / "h2"), host="0.0.0.0", port=0)

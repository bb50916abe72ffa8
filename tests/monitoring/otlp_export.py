"""Inference-log rows sent as OpenTelemetry GenAI spans by the real SDK and its OTLP/HTTP exporter.

The tests and benchmarks/otlp_ingest.py use it to put traffic through `logs serve` the way a gateway
instrumented with OpenTelemetry would. The prompt is split the way it was built (system prompt, context,
"User: ..." turn) into `gen_ai.system_instructions` and `gen_ai.input.messages`, so the receiver's row
holds the same text as the row sent.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone


def span_attributes(row: dict, *, content: bool = True) -> dict:
    attrs = {"gen_ai.operation.name": "chat", "gen_ai.request.model": row.get("model_version") or "m",
             "tenant.id": row["tenant_id"], "tenantguard.feature": row.get("feature") or "support-assistant"}
    for name, key in (("api_key", "user.id"), ("session_id", "gen_ai.conversation.id"),
                      ("prompt_tokens", "gen_ai.usage.input_tokens"), ("completion_tokens", "gen_ai.usage.output_tokens"),
                      ("model_version", "tenantguard.model_version")):
        if row.get(name) is not None:
            attrs[key] = row[name]
    for name, value in (row.get("params") or {}).items():
        attrs[f"gen_ai.request.{name}"] = value
    if content and row.get("prompt") is not None:
        system, *rest = row["prompt"].split("\n\n")
        messages = [{"role": "user", "parts": [{"type": "text", "content": seg.removeprefix("User: ")}]}
                    if seg.startswith("User: ") else {"role": "system", "parts": [{"type": "text", "content": seg}]}
                    for seg in rest]
        attrs["gen_ai.system_instructions"] = json.dumps([{"type": "text", "content": system}])
        attrs["gen_ai.input.messages"] = json.dumps(messages)
    if content and row.get("completion") is not None:
        attrs["gen_ai.output.messages"] = json.dumps(
            [{"role": "assistant", "parts": [{"type": "text", "content": row["completion"]}], "finish_reason": "stop"}])
    return attrs


def export_rows(rows: list[dict], endpoint: str, *, headers: dict | None = None, content: bool = True,
                batch: int = 512) -> None:
    """Send every row as one span through BatchSpanProcessor + OTLPSpanExporter (protobuf over HTTP)."""
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": "gateway"}))
    # A queue as long as the traffic: the processor drops spans when its queue is full, and none may be lost.
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint, headers=headers),
                                                   max_queue_size=max(2048, len(rows) + 1),
                                                   max_export_batch_size=batch, schedule_delay_millis=50))
    tracer = provider.get_tracer("tenantguard.tests")
    for row in rows:
        start = int(_epoch(row["ts"]) * 1e9)
        span = tracer.start_span(f"chat {row.get('model_version') or 'm'}", start_time=start,
                                 attributes=span_attributes(row, content=content))
        span.end(end_time=start + int((row.get("latency_ms") or 1.0) * 1e6))
    assert provider.force_flush(60_000)
    provider.shutdown()


def _epoch(ts) -> float:
    if isinstance(ts, (int, float)):
        return float(ts)
    dt = datetime.fromisoformat(str(ts).replace("Z", "+00:00"))
    return (dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)).timestamp()

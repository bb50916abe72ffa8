"""OTLP JSON span files (the OpenTelemetry Collector's `file` exporter): formats `otlp` and `openinference`.

One JSON object a line, an `ExportTraceServiceRequest` in OTLP/JSON encoding: `resourceSpans` ->
`scopeSpans` -> `spans`, attributes as `{"key", "value": {"stringValue" | "intValue" | ...}}`, ids in
hex, times in nanoseconds as strings. Each model-call span is one row (`spans.span_row`); every other
span is counted as skipped. A rejected span is quarantined alone, wrapped in its resource and scope, so
the quarantined line is itself an OTLP line that can be ingested again once fixed.

Invalid UTF-8 is quarantined with its line, never replaced: a span's text is evidence.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO

from tenantguard.monitoring.readers.jsonl import json_lines
from tenantguard.monitoring.readers.paths import Resolver
from tenantguard.monitoring.readers.reader import LogRow, Rejection, Skipped
from tenantguard.monitoring.readers.spans import GENAI, OPENINFERENCE, Span, SpanInvalid, span_row

_START = re.compile(rb'^\s*\{\s*"resourceSpans"\s*:')
_TAIL = b"]}]}]}"


def any_value(v: Any) -> Any:
    """An OTLP/JSON AnyValue as a Python value (int64 arrives as a string in JSON)."""
    if not isinstance(v, dict):
        return None
    if "stringValue" in v:
        return v["stringValue"]
    if "intValue" in v:
        try:
            return int(v["intValue"])
        except (TypeError, ValueError):
            return None
    if "doubleValue" in v:
        value = v["doubleValue"]
        return float(value) if isinstance(value, (int, float, str)) else None
    if "boolValue" in v:
        return bool(v["boolValue"])
    if "arrayValue" in v:
        return [any_value(x) for x in (v["arrayValue"] or {}).get("values", ()) or ()]
    if "kvlistValue" in v:
        return attributes((v["kvlistValue"] or {}).get("values"))
    if "bytesValue" in v:
        return v["bytesValue"]  # base64 text as sent
    return None


def attributes(kvs: Any) -> dict[str, Any]:
    out = {}
    for kv in kvs or ():
        if isinstance(kv, dict) and isinstance(kv.get("key"), str):
            value = kv.get("value")
            # Nearly every attribute is a string: skip the dispatch for it.
            out[kv["key"]] = value["stringValue"] if isinstance(value, dict) and "stringValue" in value \
                else any_value(value)
    return out


def export_items(request: Any, line: int, resolver: Resolver, accept: frozenset[str],
                 *, number_spans: bool = False) -> Iterator[LogRow | Rejection | Skipped]:
    """The items of one OTLP/JSON export request. `line` numbers them all (a file line), or with
    `number_spans` the first span, counting up (a request body: its spans are its lines)."""
    if not isinstance(request, dict) or not isinstance(request.get("resourceSpans"), list):
        yield Rejection(line, _dump(request), "expected an OTLP/JSON object with a 'resourceSpans' list")
        return
    n = line - 1
    for rs in request["resourceSpans"]:
        resource_obj = rs.get("resource") if isinstance(rs, dict) else None
        resource = attributes((resource_obj or {}).get("attributes")) if isinstance(resource_obj, dict) else {}
        for ss in (rs.get("scopeSpans") or ()) if isinstance(rs, dict) else ():
            spans = ss.get("spans") if isinstance(ss, dict) else None
            head = None
            for obj in spans or ():
                n += 1
                where = n if number_spans else line
                try:
                    item = span_row(_span(obj, resource), resolver, accept)
                except (SpanInvalid, TypeError, ValueError, AttributeError) as exc:
                    head = head or _wrap_head(resource_obj, ss.get("scope"))
                    yield Rejection(where, head + _dump(obj) + _TAIL, _reason(exc))
                    continue
                if isinstance(item, str):
                    yield Skipped(where, item)
                    continue
                head = head or _wrap_head(resource_obj, ss.get("scope"))
                yield LogRow(where, head + _dump(obj) + _TAIL, item)


def _span(obj: Any, resource: dict) -> Span:
    if not isinstance(obj, dict):
        raise SpanInvalid("a span must be a JSON object")
    return Span(trace_id=str(obj.get("traceId", "")).lower(), span_id=str(obj.get("spanId", "")).lower(),
                start_ns=int(obj.get("startTimeUnixNano") or 0), end_ns=int(obj.get("endTimeUnixNano") or 0),
                attrs=attributes(obj.get("attributes")), resource=resource)


def _reason(exc: Exception) -> str:
    return str(exc) if isinstance(exc, SpanInvalid) else f"malformed span ({type(exc).__name__}: {str(exc)[:80]})"


def _wrap_head(resource: Any, scope: Any) -> bytes:
    res = _dump(resource) if resource is not None else b"{}"
    sc = _dump(scope) if scope is not None else b"{}"
    return b'{"resourceSpans":[{"resource":' + res + b',"scopeSpans":[{"scope":' + sc + b',"spans":['


def _dump(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()


class OtlpReader:
    """OTLP JSON span files; `accept` says which convention's spans become rows."""

    resolves_tenant = True  # the tenant comes from a Resolver: ingest needs tenants.yaml to check it

    def __init__(self, resolver: Resolver | None = None, *, name: str = "otlp") -> None:
        self.resolver = resolver or Resolver()
        self.name = name
        self.accept = frozenset({OPENINFERENCE}) if name == "openinference" else frozenset({GENAI})
        self.description = ("an OTLP JSON file of OpenInference spans" if name == "openinference"
                            else "an OTLP JSON file of OpenTelemetry GenAI spans (Collector file exporter)")

    def recognizes(self, head: bytes) -> bool:
        if not _START.match(next((line for line in head.splitlines() if line.strip()), b"")):
            return False
        openinference = b'"openinference.span.kind"' in head
        return openinference if self.name == "openinference" else not openinference

    def read(self, stream: BinaryIO) -> Iterable[LogRow | Rejection | Skipped]:
        for item in json_lines(stream):
            if isinstance(item, Rejection):
                yield item
            else:
                yield from export_items(item[1], item[0], self.resolver, self.accept)

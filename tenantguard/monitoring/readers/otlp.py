"""OTLP JSON span files (the OpenTelemetry Collector's `file` exporter): formats `otlp` and `openinference`.

One JSON object a line, an `ExportTraceServiceRequest` in OTLP/JSON encoding: `resourceSpans` ->
`scopeSpans` -> `spans`, attributes as `{"key", "value": {"stringValue" | "intValue" | ...}}`, ids in
hex, times in nanoseconds as strings. Each model-call span is one row (`spans.span_row`); every other
span is counted as skipped. A rejected span is quarantined alone, wrapped in its resource and scope, so
the quarantined line is itself an OTLP line that can be ingested again once fixed.

Decoding is msgspec's, against the OTLP/JSON shapes below (unknown fields ignored): a line of 512 spans
decodes ~5x faster than with `json` into dicts, which is most of what ingest costs. Spans are decoded one
by one from their raw bytes, so a malformed span is rejected alone, with its exact bytes.
Invalid UTF-8 is quarantined with its line, never replaced: a span's text is evidence.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import BinaryIO, Union

import msgspec

from tenantguard.monitoring.readers.jsonl import utf8_rejection
from tenantguard.monitoring.readers.paths import Resolver
from tenantguard.monitoring.readers.reader import LogRow, Rejection, Skipped
from tenantguard.monitoring.readers.spans import GENAI, OPENINFERENCE, Span, SpanInvalid, resource_view, span_row

_START = re.compile(rb'^\s*\{\s*"resourceSpans"\s*:')


class AnyValue(msgspec.Struct, frozen=True):
    stringValue: Union[str, None] = None  # noqa: N815 (OTLP/JSON's field names)
    intValue: Union[int, str, None] = None  # noqa: N815 (int64: a string in OTLP/JSON, a number from some encoders)
    doubleValue: Union[float, str, None] = None  # noqa: N815 ("NaN", "Infinity" arrive as strings)
    boolValue: Union[bool, None] = None  # noqa: N815
    arrayValue: Union["ArrayValue", None] = None  # noqa: N815
    kvlistValue: Union["KeyValueList", None] = None  # noqa: N815
    bytesValue: Union[str, None] = None  # noqa: N815 (base64)


class KeyValue(msgspec.Struct, frozen=True):
    key: str
    value: AnyValue = AnyValue()


class ArrayValue(msgspec.Struct, frozen=True):
    values: list[AnyValue] = []


class KeyValueList(msgspec.Struct, frozen=True):
    values: list[KeyValue] = []


class _Span(msgspec.Struct):
    traceId: str = ""  # noqa: N815
    spanId: str = ""  # noqa: N815
    startTimeUnixNano: Union[int, str] = 0  # noqa: N815
    endTimeUnixNano: Union[int, str] = 0  # noqa: N815
    attributes: list[KeyValue] = []


class _Resource(msgspec.Struct):
    attributes: list[KeyValue] = []


class _ScopeSpans(msgspec.Struct):
    scope: msgspec.Raw = msgspec.Raw(b"{}")
    spans: list[msgspec.Raw] = []


class _ResourceSpans(msgspec.Struct):
    resource: msgspec.Raw = msgspec.Raw(b"{}")
    scopeSpans: list[_ScopeSpans] = []  # noqa: N815


class _Request(msgspec.Struct):
    resourceSpans: list[_ResourceSpans]  # noqa: N815


_REQUEST, _SPAN, _RESOURCE = (msgspec.json.Decoder(t) for t in (_Request, _Span, _Resource))


def value(v: AnyValue) -> object:
    """An OTLP/JSON AnyValue as a Python value."""
    if v.stringValue is not None:
        return v.stringValue
    if v.intValue is not None:
        return _number(int, v.intValue)
    if v.doubleValue is not None:
        return _number(float, v.doubleValue)
    if v.boolValue is not None:
        return v.boolValue
    if v.arrayValue is not None:
        return [value(x) for x in v.arrayValue.values]
    if v.kvlistValue is not None:
        return attributes(v.kvlistValue.values)
    return v.bytesValue  # base64 text as sent, or None for an empty value


def attributes(kvs: list[KeyValue]) -> dict[str, object]:
    # Nearly every attribute is a string: skip the dispatch for it.
    return {kv.key: s if (s := kv.value.stringValue) is not None else value(kv.value) for kv in kvs}


def decode_request(body: bytes) -> _Request:
    """The export request in `body`, down to its spans' raw bytes; ValueError naming what is wrong."""
    try:
        return _REQUEST.decode(body)
    except msgspec.DecodeError as exc:
        raise ValueError(f"not an OTLP/JSON export request ({str(exc)[:160]})") from None


def export_items(request: _Request, line: int, resolver: Resolver, accept: frozenset[str],
                 *, number_spans: bool = False) -> Iterator[LogRow | Rejection | Skipped]:
    """The items of one decoded export request. `line` numbers them all (a file line), or with
    `number_spans` the first span, counting up (a request body: its spans are its lines)."""
    n = line - 1
    for rs in request.resourceSpans:
        try:
            resource = resource_view(attributes(_RESOURCE.decode(rs.resource).attributes))
        except msgspec.DecodeError:
            resource = None
        for ss in rs.scopeSpans:
            for raw in ss.spans:
                n += 1
                where = n if number_spans else line
                alone = b'{"resourceSpans":[{"resource":%s,"scopeSpans":[{"scope":%s,"spans":[%s]}]}]}' % (
                    rs.resource, ss.scope, raw)
                if resource is None:
                    yield Rejection(where, alone, "the span's resource is not an OTLP/JSON resource")
                    continue
                try:
                    item = span_row(_span(raw, resource), resolver, accept)
                except (SpanInvalid, msgspec.DecodeError, ValueError) as exc:
                    yield Rejection(where, alone, _reason(exc))
                    continue
                yield Skipped(where, item) if isinstance(item, str) else LogRow(where, alone, item)


def _span(raw: msgspec.Raw, resource: dict) -> Span:
    s = _SPAN.decode(raw)
    return Span(trace_id=s.traceId.lower(), span_id=s.spanId.lower(), start_ns=int(s.startTimeUnixNano or 0),
                end_ns=int(s.endTimeUnixNano or 0), attrs=attributes(s.attributes), resource=resource)


def _number(kind, raw):
    try:
        return kind(raw)
    except (TypeError, ValueError):
        return None


def _reason(exc: Exception) -> str:
    return str(exc) if isinstance(exc, SpanInvalid) else f"malformed span ({str(exc)[:120]})"


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
        for lineno, raw in enumerate(stream, start=1):
            raw = raw.rstrip(b"\r\n")
            if not raw.strip():
                continue
            try:
                raw.decode("utf-8")
                request = decode_request(raw)
            except UnicodeDecodeError as exc:
                yield utf8_rejection(lineno, raw, exc)
                continue
            except ValueError as exc:
                yield Rejection(lineno, raw, str(exc))
                continue
            yield from export_items(request, lineno, self.resolver, self.accept)

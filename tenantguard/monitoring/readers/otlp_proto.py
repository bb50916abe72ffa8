"""OTLP/protobuf export requests (what `logs serve` receives from an SDK or Collector) as reader items.

Decoding is opentelemetry-proto's (`ExportTraceServiceRequest`, the `otel` extra); this module only
walks the decoded messages into `spans.Span` and maps them like the JSON readers do. A rejected span is
quarantined as a one-span protobuf request (its resource and scope kept), byte for byte.
"""
from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue

from tenantguard.monitoring.readers.paths import Resolver
from tenantguard.monitoring.readers.reader import LogRow, Rejection, Skipped
from tenantguard.monitoring.readers.spans import Span, SpanInvalid, resource_view, span_row


def decode(body: bytes) -> ExportTraceServiceRequest:
    """The request in `body`; google.protobuf.message.DecodeError when it is not one (invalid UTF-8 too)."""
    request = ExportTraceServiceRequest()
    request.ParseFromString(body)
    return request


def request_items(request: ExportTraceServiceRequest, resolver: Resolver,
                  accept: frozenset[str]) -> Iterator[LogRow | Rejection | Skipped]:
    """One item per span, numbered from 1 in request order."""
    n = 0
    for rs in request.resource_spans:
        resource = resource_view(attributes(rs.resource.attributes))
        for ss in rs.scope_spans:
            for span in ss.spans:
                n += 1
                try:
                    item = span_row(Span(trace_id=span.trace_id.hex(), span_id=span.span_id.hex(),
                                         start_ns=span.start_time_unix_nano, end_ns=span.end_time_unix_nano,
                                         attrs=attributes(span.attributes), resource=resource), resolver, accept)
                except SpanInvalid as exc:
                    yield Rejection(n, _alone(rs, ss, span), str(exc))
                    continue
                if isinstance(item, str):
                    yield Skipped(n, item)
                else:
                    yield LogRow(n, partial(_alone, rs, ss, span), item)


def attributes(kvs) -> dict[str, Any]:
    return {kv.key: value(kv.value) for kv in kvs}


def value(v: AnyValue) -> Any:
    kind = v.WhichOneof("value")
    if kind == "string_value":
        return v.string_value
    if kind == "int_value":
        return v.int_value
    if kind == "double_value":
        return v.double_value
    if kind == "bool_value":
        return v.bool_value
    if kind == "array_value":
        return [value(x) for x in v.array_value.values]
    if kind == "kvlist_value":
        return attributes(v.kvlist_value.values)
    if kind == "bytes_value":
        return v.bytes_value.hex()
    return None


def _alone(rs, ss, span) -> bytes:
    """A one-span export request holding `span` with its resource and scope, serialized."""
    one = ExportTraceServiceRequest()
    out_rs = one.resource_spans.add()
    out_rs.resource.CopyFrom(rs.resource)
    out_rs.schema_url = rs.schema_url
    out_ss = out_rs.scope_spans.add()
    out_ss.scope.CopyFrom(ss.scope)
    out_ss.schema_url = ss.schema_url
    out_ss.spans.add().CopyFrom(span)
    return one.SerializeToString()

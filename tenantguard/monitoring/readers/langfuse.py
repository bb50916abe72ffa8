"""Langfuse observation exports as JSONL (format `langfuse`): one observation a line, camelCase as in
Langfuse's public API (`id`, `traceId`, `type`, `startTime`, `endTime`, `model`, `modelParameters`,
`input`, `output`, `usageDetails` / `usage` / `promptTokens`, `costDetails`, `metadata`, and the
trace's `userId` / `sessionId` where the export joins them).

Only `GENERATION` observations are model calls; spans and events are counted as skipped. The
observation `id` is the row's `source_id`. Costs and the trace id go to `params._source`.
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any, BinaryIO

from tenantguard.monitoring.readers.jsonl import json_lines
from tenantguard.monitoring.readers.litellm import chat_text, first_object_has, response_text
from tenantguard.monitoring.readers.paths import FEATURE_PATHS, MODEL_VERSION_PATHS, REGION_PATHS, Resolver, dig, first
from tenantguard.monitoring.readers.reader import LogRow, Rejection, Skipped

SKIP_NOT_GENERATION = "Langfuse observations that are not a GENERATION (spans, events)"
_SESSION_PATHS = ("sessionId", "metadata.sessionId", "metadata.session_id")
_INPUT_TOKENS = ("usageDetails.input", "usage.input", "promptTokens")
_OUTPUT_TOKENS = ("usageDetails.output", "usage.output", "completionTokens")


class LangfuseReader:
    resolves_tenant = True  # the tenant comes from a Resolver: ingest needs tenants.yaml to check it
    name = "langfuse"
    description = "a JSONL export of Langfuse observations"

    def __init__(self, resolver: Resolver | None = None) -> None:
        self.resolver = resolver or Resolver()

    def recognizes(self, head: bytes) -> bool:
        return first_object_has(head, (b'"traceId"', b'"type"', b'"startTime"'))

    def read(self, stream: BinaryIO) -> Iterator[LogRow | Rejection | Skipped]:
        for item in json_lines(stream):
            if isinstance(item, Rejection):
                yield item
                continue
            lineno, obj, raw = item
            if not isinstance(obj, dict) or not obj.get("id") or not obj.get("type"):
                yield Rejection(lineno, raw, "expected a Langfuse observation object with 'id' and 'type'")
                continue
            if obj["type"] != "GENERATION":
                yield Skipped(lineno, SKIP_NOT_GENERATION)
                continue
            get = lambda path, obj=obj: dig(obj, path)  # noqa: E731
            tenant = self.resolver.tenant(get)
            if tenant is None:
                yield Rejection(lineno, raw, self.resolver.missing_tenant())
                continue
            cost = dig(obj, "costDetails.total") or obj.get("calculatedTotalCost")
            source = {k: v for k, v in {"format": "langfuse", "trace_id": obj.get("traceId"), "cost_usd": cost,
                                        "level": obj.get("level")}.items() if v not in (None, "")}
            params = obj.get("modelParameters") if isinstance(obj.get("modelParameters"), dict) else {}
            row = {"ts": obj.get("startTime"), "tenant_id": tenant, "api_key": self.resolver.key(get),
                   "feature": first(get, FEATURE_PATHS), "region": first(get, REGION_PATHS),
                   "session_id": first(get, _SESSION_PATHS),
                   "model_version": first(get, MODEL_VERSION_PATHS) or obj.get("model"),
                   "prompt": chat_text(obj.get("input")), "completion": response_text(obj.get("output")),
                   "prompt_tokens": _count(get, _INPUT_TOKENS), "completion_tokens": _count(get, _OUTPUT_TOKENS),
                   "params": {**params, "_source": source}, "source_id": f"langfuse:{obj['id']}"}
            latency = _latency_ms(obj.get("startTime"), obj.get("endTime"))
            if latency is not None:
                row["latency_ms"] = latency
            yield LogRow(lineno, raw, row)


def _count(get, paths) -> Any:
    return next((v for v in map(get, paths) if v is not None), None)


def _latency_ms(start: Any, end: Any) -> float | None:
    try:
        a, b = (datetime.fromisoformat(str(t).replace("Z", "+00:00")) for t in (start, end))
    except (TypeError, ValueError):
        return None
    ms = (b - a).total_seconds() * 1000.0
    return ms if ms >= 0 else None

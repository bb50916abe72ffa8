"""A trace span as an inference-log row: OpenTelemetry GenAI and OpenInference conventions.

Both readers of span files (`otlp`, `openinference`) and the OTLP receiver decode spans into `Span`
(attributes as Python values) and call `span_row`. Attribute names follow the OpenTelemetry GenAI
semantic conventions (`gen_ai.operation.name`, `gen_ai.request.*`, `gen_ai.usage.input_tokens`,
`gen_ai.input.messages` / `gen_ai.output.messages` / `gen_ai.system_instructions` as JSON with
`parts`) and the OpenInference spec (`openinference.span.kind`, `llm.input_messages.<i>.message.*`,
`llm.token_count.*`, `llm.invocation_parameters`, `input.value` / `output.value`, `session.id`).

Content capture is off by default in OpenTelemetry: a span without messages becomes a row without
`prompt` and `completion` (null, never ""), so the detectors that need text say "not run".
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import msgspec

from tenantguard.monitoring.readers.paths import FEATURE_PATHS, MODEL_VERSION_PATHS, REGION_PATHS, Resolver, first

GENAI = "genai"
OPENINFERENCE = "openinference"
GENAI_CALLS = frozenset({"chat", "text_completion", "generate_content"})  # a model call; agents and tools are not
REDACTED = "__REDACTED__"  # OpenInference's placeholder when OPENINFERENCE_HIDE_INPUTS/OUTPUTS is set
_ROLE = {"user": "User", "assistant": "Assistant", "tool": "Tool"}
SKIP_OTHER_GENAI = "GenAI spans that are not a model call (embeddings, tools, agents)"
SKIP_OTHER_OI = "OpenInference spans that are not an LLM call (chains, retrievers, tools)"
SKIP_NO_GENAI = "spans with no GenAI attributes (HTTP, database, framework spans)"
SKIP_NOT_OI = "spans that are not OpenInference (no openinference.span.kind)"
_decode_json = msgspec.json.Decoder().decode  # the message attributes are most of a span's bytes
SKIP_OI_ELSEWHERE = "OpenInference spans (read them with --format openinference)"


class SpanInvalid(ValueError):
    """A span that claims a convention but cannot be mapped (bad JSON in a message attribute, no tenant)."""


@dataclass(slots=True)
class Span:
    trace_id: str  # lower-case hex
    span_id: str
    start_ns: int
    end_ns: int
    attrs: dict[str, Any]
    resource: dict[str, Any]  # the resource's attributes, each under "resource.<key>" (`resource_view`)

    def get(self, path: str) -> Any:
        """A span attribute, or with `resource.` in front a resource attribute."""
        value = self.attrs.get(path)
        return self.resource.get(path) if value is None else value


def resource_view(attributes: dict[str, Any]) -> dict[str, Any]:
    """A resource's attributes as `Span.resource` holds them: once per resource, not per span."""
    return {f"resource.{k}": v for k, v in attributes.items()}


def convention(span: Span) -> str | None:
    attrs = span.attrs
    if "openinference.span.kind" in attrs:
        return OPENINFERENCE
    if "gen_ai.operation.name" in attrs or "gen_ai.request.model" in attrs:
        return GENAI
    return None


def span_row(span: Span, resolver: Resolver, accept: frozenset[str]) -> dict | str:
    """The row of a model-call span of a convention in `accept`, or what the span is (for the skip count).
    Raises SpanInvalid for a span that is a model call but cannot become a row."""
    kind = convention(span)
    if kind is None:
        return SKIP_NO_GENAI if GENAI in accept else SKIP_NOT_OI
    if kind not in accept:
        return SKIP_OI_ELSEWHERE if kind == OPENINFERENCE else SKIP_NO_GENAI
    attrs = span.attrs
    if kind == GENAI:
        if attrs.get("gen_ai.operation.name", "chat") not in GENAI_CALLS:
            return SKIP_OTHER_GENAI
        row = _genai(attrs)
    else:
        if attrs["openinference.span.kind"] != "LLM":
            return SKIP_OTHER_OI
        row = _openinference(attrs)
    tenant = resolver.tenant(span.get)
    if tenant is None:
        raise SpanInvalid(resolver.missing_tenant())
    row.update(ts=span.start_ns / 1e9, tenant_id=tenant, api_key=resolver.key(span.get),
               feature=first(span.get, FEATURE_PATHS), region=first(span.get, REGION_PATHS),
               source_id=f"span:{span.trace_id}:{span.span_id}")
    row["model_version"] = first(span.get, MODEL_VERSION_PATHS) or row.get("model_version")
    if span.end_ns >= span.start_ns > 0:
        row["latency_ms"] = (span.end_ns - span.start_ns) / 1e6
    return row


def _genai(attrs: dict) -> dict:
    params = {k[15:]: v for k, v in attrs.items() if k.startswith("gen_ai.request.") and k != "gen_ai.request.model"}
    system = _parts_text(_json_attr(attrs, "gen_ai.system_instructions"))
    inputs = _json_attr(attrs, "gen_ai.input.messages")
    outputs = _json_attr(attrs, "gen_ai.output.messages")
    prompt = None
    if system is not None or inputs is not None:
        turns = [system] if system else []
        turns += [_turn(m.get("role"), _parts_text(m.get("parts"))) for m in inputs or () if isinstance(m, dict)]
        prompt = "\n\n".join(t for t in turns if t)
    completion = None
    if outputs is not None:
        completion = "\n\n".join(t for m in outputs if isinstance(m, dict) and (t := _parts_text(m.get("parts"))))
    return {"session_id": attrs.get("gen_ai.conversation.id"),
            "model_version": attrs.get("gen_ai.response.model") or attrs.get("gen_ai.request.model"),
            "prompt": prompt, "completion": completion,
            "prompt_tokens": attrs.get("gen_ai.usage.input_tokens", attrs.get("gen_ai.usage.prompt_tokens")),
            "completion_tokens": attrs.get("gen_ai.usage.output_tokens", attrs.get("gen_ai.usage.completion_tokens")),
            "params": params or None}


def _openinference(attrs: dict) -> dict:
    messages: dict[str, dict[int, dict]] = {"llm.input_messages.": {}, "llm.output_messages.": {}}
    for key, value in attrs.items():
        if key.startswith("llm.") and "_messages." in key:
            prefix = "llm.input_messages." if key.startswith("llm.input_messages.") else "llm.output_messages."
            index, _, field = key[len(prefix):].partition(".")
            if index.isdigit() and key.startswith(prefix):
                msg = messages[prefix].setdefault(int(index), {})
                if field == "message.role":
                    msg["role"] = value
                elif field == "message.content" or field.endswith("message_content.text"):
                    msg.setdefault("text", []).append(str(value))
    prompt = _oi_text(messages["llm.input_messages."], attrs.get("input.value"))
    completion = _oi_text(messages["llm.output_messages."], attrs.get("output.value"), roles=False)
    raw = attrs.get("llm.invocation_parameters")
    params = None
    if raw is not None:
        try:
            params = json.loads(raw) if isinstance(raw, str) else raw
        except ValueError:
            params = None
        if not isinstance(params, dict):
            raise SpanInvalid("llm.invocation_parameters is not a JSON object")
    return {"session_id": attrs.get("session.id"),
            "model_version": attrs.get("llm.response.model_name") or attrs.get("llm.model_name"),
            "prompt": prompt, "completion": completion,
            "prompt_tokens": attrs.get("llm.token_count.prompt"),
            "completion_tokens": attrs.get("llm.token_count.completion"), "params": params or None}


def _oi_text(messages: dict[int, dict], value: Any, *, roles: bool = True) -> str | None:
    if messages:
        turns = []
        for _, m in sorted(messages.items()):
            text = "\n".join(m.get("text", ()))
            role = m.get("role")
            turns.append(text if role in ("system", "developer") or not roles else _turn(role, text))
        return "\n\n".join(t for t in turns if t)
    if isinstance(value, str) and value != REDACTED:
        return value
    return None


def _json_attr(attrs: dict, name: str) -> Any:
    """A structured attribute: JSON text (how most SDKs record it on spans) or already structured."""
    value = attrs.get(name)
    if isinstance(value, str):
        try:
            value = _decode_json(value)
        except (msgspec.DecodeError, ValueError):
            raise SpanInvalid(f"{name} is not JSON (expected a list of messages with parts)") from None
    if value is not None and not isinstance(value, list):
        raise SpanInvalid(f"{name} is a {type(value).__name__}; expected a list")
    return value


def _parts_text(parts: Any) -> str | None:
    """The text of message parts: `text` parts, and tool results the model was shown."""
    if parts is None:
        return None
    out = []
    for part in parts if isinstance(parts, list) else ():
        if not isinstance(part, dict):
            continue
        if part.get("type") == "text" and isinstance(part.get("content"), str):
            out.append(part["content"])
        elif part.get("type") == "tool_call_response" and part.get("response") is not None:
            resp = part["response"]
            out.append(resp if isinstance(resp, str) else json.dumps(resp, ensure_ascii=False))
    return "\n".join(out)


def _turn(role: Any, text: str | None) -> str:
    if not text:
        return ""
    if role in ("system", "developer"):
        return text  # the tenant's system prompt leads the context as is (the detectors strip it by prefix)
    return f"{_ROLE.get(role, str(role).title())}: {text}"

"""LiteLLM's standard logging payload as JSONL (format `litellm`): one `StandardLoggingPayload` a line.

Fields read (LiteLLM docs, "StandardLoggingPayload Specification"): `id` (the row's `source_id`),
`startTime`/`endTime` (epoch seconds), `model`, `model_group`, `messages`, `response`,
`model_parameters`, `prompt_tokens`, `completion_tokens`, `response_cost`, `end_user`, `trace_id`, and
`metadata.user_api_key_hash` / `_team_id` / `_org_id` / `_end_user_id`. LiteLLM's own ids that have no
inference-log column (team, org, end user, cost in USD) are kept in `params` under `_source`.
With message logging off LiteLLM writes "redacted-by-litellm": the row then has no text (null).
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, BinaryIO

from tenantguard.monitoring.readers.jsonl import json_lines
from tenantguard.monitoring.readers.paths import FEATURE_PATHS, MODEL_VERSION_PATHS, REGION_PATHS, Resolver, dig, first
from tenantguard.monitoring.readers.reader import LogRow, Rejection, Skipped

REDACTED = "redacted-by-litellm"
_SESSION_PATHS = ("metadata.session_id", "metadata.requester_metadata.session_id", "trace_id")


class LiteLLMReader:
    resolves_tenant = True  # the tenant comes from a Resolver: ingest needs tenants.yaml to check it
    name = "litellm"
    description = "a JSONL file of LiteLLM standard logging payloads"

    def __init__(self, resolver: Resolver | None = None) -> None:
        self.resolver = resolver or Resolver()

    def recognizes(self, head: bytes) -> bool:
        return first_object_has(head, (b'"call_type"', b'"model_parameters"'))

    def read(self, stream: BinaryIO) -> Iterator[LogRow | Rejection | Skipped]:
        for item in json_lines(stream):
            if isinstance(item, Rejection):
                yield item
                continue
            lineno, obj, raw = item
            if not isinstance(obj, dict) or not obj.get("id"):
                yield Rejection(lineno, raw, "expected a LiteLLM StandardLoggingPayload object with an 'id'")
                continue
            get = lambda path, obj=obj: dig(obj, path)  # noqa: E731
            tenant = self.resolver.tenant(get)
            if tenant is None:
                yield Rejection(lineno, raw, self.resolver.missing_tenant())
                continue
            start, end = obj.get("startTime"), obj.get("endTime")
            meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
            source = {k: v for k, v in {
                "format": "litellm", "team_id": meta.get("user_api_key_team_id"),
                "org_id": meta.get("user_api_key_org_id"),
                "end_user": obj.get("end_user") or meta.get("user_api_key_end_user_id"),
                "cost_usd": obj.get("response_cost"), "status": obj.get("status")}.items() if v not in (None, "")}
            params = obj.get("model_parameters") if isinstance(obj.get("model_parameters"), dict) else {}
            row = {"ts": start, "tenant_id": tenant, "api_key": self.resolver.key(get),
                   "feature": first(get, FEATURE_PATHS), "region": first(get, REGION_PATHS),
                   "session_id": first(get, _SESSION_PATHS),
                   "model_version": first(get, MODEL_VERSION_PATHS) or obj.get("model_group") or obj.get("model"),
                   "prompt": chat_text(obj.get("messages"), REDACTED),
                   "completion": response_text(obj.get("response"), REDACTED),
                   "prompt_tokens": obj.get("prompt_tokens"), "completion_tokens": obj.get("completion_tokens"),
                   "params": {**params, "_source": source}, "source_id": f"litellm:{obj['id']}"}
            if _number(start) and _number(end) and end >= start:
                row["latency_ms"] = (end - start) * 1000.0
            yield LogRow(lineno, raw, row)


def first_object_has(head: bytes, needles: tuple[bytes, ...]) -> bool:
    """The first non-blank line is a JSON object holding every key in `needles` (judged on its text, so a
    first line longer than the head still counts)."""
    line = next((line for line in head.splitlines() if line.strip()), b"").lstrip()
    return line.startswith(b"{") and all(n in line for n in needles)


def chat_text(messages: Any, redacted: str | None = None) -> str | None:
    """The whole context of OpenAI-style chat messages: system text first as is, then "Role: text" turns."""
    if messages is None or messages == redacted:
        return None
    if isinstance(messages, str):
        return messages
    if isinstance(messages, dict):
        if "messages" not in messages and "content" not in messages:
            return json.dumps(messages, ensure_ascii=False)  # a framework's own input object: kept whole
        messages = messages.get("messages", [messages])
    turns = []
    for m in messages if isinstance(messages, list) else ():
        if not isinstance(m, dict):
            continue
        text = content_text(m.get("content"))
        if text == redacted or not text:
            continue
        role = m.get("role")
        turns.append(text if role in ("system", "developer") else f"{str(role or 'user').title()}: {text}")
    return "\n\n".join(turns)


def content_text(content: Any) -> str:
    """A message's content: a string, or the text of a list of parts ({"type": "text", "text": ...})."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(p.get("text", "") for p in content if isinstance(p, dict) and isinstance(p.get("text"), str))
    return "" if content is None else json.dumps(content, ensure_ascii=False)


def response_text(response: Any, redacted: str | None = None) -> str | None:
    """The completion of a chat/text response object (choices[].message.content or choices[].text)."""
    if response is None or response == redacted:
        return None
    if isinstance(response, str):
        return response
    if isinstance(response, dict) and isinstance(response.get("choices"), list):
        texts = []
        for c in response["choices"]:
            if isinstance(c, dict):
                msg = c.get("message") if isinstance(c.get("message"), dict) else {}
                texts.append(content_text(msg.get("content")) if msg else str(c.get("text") or ""))
        return "\n\n".join(t for t in texts if t and t != redacted) if texts else ""
    if isinstance(response, dict) and "content" in response:
        return content_text(response["content"])
    return json.dumps(response, ensure_ascii=False)


def _number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)

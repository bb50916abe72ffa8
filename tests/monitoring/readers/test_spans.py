"""A span as a row: OpenTelemetry GenAI and OpenInference attributes mapped onto the inference-log row."""
import json

import pytest

from tenantguard.monitoring.readers.paths import Resolver
from tenantguard.monitoring.readers.spans import (GENAI, OPENINFERENCE, SKIP_NO_GENAI, SKIP_OI_ELSEWHERE,
                                                  SKIP_OTHER_GENAI, SKIP_OTHER_OI, Span, SpanInvalid, resource_view,
                                                  span_row)

BOTH = frozenset({GENAI, OPENINFERENCE})


def _span(attrs, resource=None):
    return Span("ab" * 16, "cd" * 8, 1_767_225_600_000_000_000, 1_767_225_600_250_000_000, attrs,
                resource_view(resource or {"tenant.id": "acme"}))


def test_a_genai_chat_span_maps_every_field_it_carries():
    row = span_row(_span({
        "gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-x", "gen_ai.response.model": "gpt-x-0613",
        "gen_ai.request.max_tokens": 200, "gen_ai.request.temperature": 0.3, "gen_ai.request.seed": 7,
        "gen_ai.usage.input_tokens": 31, "gen_ai.usage.output_tokens": 12, "gen_ai.conversation.id": "conv-1",
        "user.id": "key-9",
        "gen_ai.system_instructions": json.dumps([{"type": "text", "content": "You are Acme's assistant."}]),
        "gen_ai.input.messages": json.dumps([
            {"role": "user", "parts": [{"type": "text", "content": "Where is my parcel?"}]},
            {"role": "assistant", "parts": [{"type": "tool_call", "name": "track", "arguments": {"id": 1}}]},
            {"role": "tool", "parts": [{"type": "tool_call_response", "response": {"status": "late"}}]}]),
        "gen_ai.output.messages": json.dumps([{"role": "assistant", "finish_reason": "stop",
                                               "parts": [{"type": "text", "content": "It is late."}]}]),
    }), Resolver(), BOTH)
    assert row == {
        "ts": 1_767_225_600.0, "tenant_id": "acme", "api_key": "key-9", "session_id": "conv-1", "feature": None,
        "region": None, "model_version": "gpt-x-0613", "latency_ms": 250.0,
        "prompt": "You are Acme's assistant.\n\nUser: Where is my parcel?\n\nTool: {\"status\": \"late\"}",
        "completion": "It is late.", "prompt_tokens": 31, "completion_tokens": 12,
        "params": {"max_tokens": 200, "temperature": 0.3, "seed": 7},
        "source_id": f"span:{'ab' * 16}:{'cd' * 8}"}


def test_content_capture_off_leaves_prompt_and_completion_null_not_empty():
    row = span_row(_span({"gen_ai.operation.name": "chat", "gen_ai.usage.output_tokens": 5}), Resolver(), BOTH)
    assert row["prompt"] is None and row["completion"] is None and row["completion_tokens"] == 5


def test_an_openinference_llm_span_maps_flattened_messages_tokens_and_parameters():
    row = span_row(_span({
        "openinference.span.kind": "LLM", "llm.model_name": "m-1", "session.id": "s-4", "user.id": "u-2",
        "llm.input_messages.0.message.role": "system", "llm.input_messages.0.message.content": "Be brief.",
        "llm.input_messages.1.message.role": "user", "llm.input_messages.1.message.content": "Hi",
        "llm.output_messages.0.message.role": "assistant", "llm.output_messages.0.message.content": "Hello",
        "llm.token_count.prompt": 9, "llm.token_count.completion": 2,
        "llm.invocation_parameters": json.dumps({"temperature": 0, "logprobs": True}),
        "input.value": "ignored when messages exist",
    }), Resolver(), BOTH)
    assert (row["prompt"], row["completion"], row["session_id"], row["api_key"], row["model_version"]) == \
        ("Be brief.\n\nUser: Hi", "Hello", "s-4", "u-2", "m-1")
    assert (row["prompt_tokens"], row["completion_tokens"], row["params"]) == (9, 2, {"temperature": 0, "logprobs": True})


def test_openinference_values_stand_in_for_messages_and_redacted_is_no_text():
    row = span_row(_span({"openinference.span.kind": "LLM", "input.value": "raw question", "output.value": "__REDACTED__"}),
                   Resolver(), BOTH)
    assert (row["prompt"], row["completion"]) == ("raw question", None)


@pytest.mark.parametrize("attrs, accept, what", [
    ({"gen_ai.operation.name": "embeddings"}, BOTH, SKIP_OTHER_GENAI),
    ({"gen_ai.operation.name": "execute_tool"}, BOTH, SKIP_OTHER_GENAI),
    ({"http.method": "GET"}, frozenset({GENAI}), SKIP_NO_GENAI),
    ({"openinference.span.kind": "RETRIEVER"}, BOTH, SKIP_OTHER_OI),
    ({"openinference.span.kind": "LLM"}, frozenset({GENAI}), SKIP_OI_ELSEWHERE),
])
def test_spans_that_are_not_a_model_call_are_named_for_the_skip_count(attrs, accept, what):
    assert span_row(_span(attrs), Resolver(), accept) == what


@pytest.mark.parametrize("attrs, resource, message", [
    ({"gen_ai.operation.name": "chat"}, {"service.name": "x"}, "no tenant id at any of resource.tenant.id"),
    ({"gen_ai.operation.name": "chat", "gen_ai.input.messages": "[{oops"}, None, "gen_ai.input.messages is not JSON"),
    ({"gen_ai.operation.name": "chat", "gen_ai.output.messages": "{}"}, None, "gen_ai.output.messages is a dict"),
    ({"openinference.span.kind": "LLM", "llm.invocation_parameters": "[1]"}, None, "not a JSON object"),
])
def test_a_model_call_that_cannot_be_mapped_is_invalid_with_the_reason(attrs, resource, message):
    with pytest.raises(SpanInvalid, match=message):
        span_row(_span(attrs, resource), Resolver(), BOTH)


def test_the_resolver_paths_decide_tenant_and_key_in_order():
    span = _span({"gen_ai.operation.name": "chat", "app.customer": "globex", "enduser.id": "e-1", "user.id": "u-1"},
                 {"tenant.id": "acme"})
    row = span_row(span, Resolver.of(["app.customer", "resource.tenant.id"], ["enduser.id"]), BOTH)
    assert (row["tenant_id"], row["api_key"]) == ("globex", "e-1")

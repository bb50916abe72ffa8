"""LiteLLM standard logging payloads (JSONL): key hash, team, end user, tokens and cost onto the row."""
import io
import json

from tenantguard.monitoring.readers import LogRow, Rejection
from tenantguard.monitoring.readers.litellm import LiteLLMReader
from tenantguard.monitoring.readers.paths import Resolver


def payload(**kw):
    p = {"id": "chatcmpl-1", "trace_id": "t-1", "call_type": "acompletion", "status": "success",
         "response_cost": 0.00042, "total_tokens": 30, "prompt_tokens": 20, "completion_tokens": 10,
         "startTime": 1767225600.0, "endTime": 1767225600.8, "model": "gpt-x", "model_group": "support",
         "api_base": "https://api.example", "cache_hit": False, "request_tags": [], "end_user": "cust-77",
         "metadata": {"user_api_key_hash": "88dc28d0f030c55ed4ab77ed8faf098196cb1c05df778539800c9f1243fe6b4b",
                      "user_api_key_alias": "prod", "user_api_key_team_id": "acme", "user_api_key_org_id": "org-1",
                      "user_api_key_user_id": "u-1", "user_api_key_team_alias": "Acme"},
         "messages": [{"role": "system", "content": "You are Acme's assistant."},
                      {"role": "user", "content": [{"type": "text", "text": "Where is my parcel?"}]}],
         "response": {"id": "chatcmpl-1", "choices": [{"index": 0, "finish_reason": "stop",
                                                        "message": {"role": "assistant", "content": "Late."}}]},
         "model_parameters": {"max_tokens": 100, "temperature": 0.2, "logprobs": True}}
    p.update(kw)
    return json.dumps(p).encode()


def test_a_payload_maps_onto_the_row_with_litellms_ids_kept_in_params():
    (item,) = LiteLLMReader().read(io.BytesIO(payload()))
    row = item.row
    assert (row["tenant_id"], row["api_key"][:8], row["session_id"], row["model_version"]) == \
        ("acme", "88dc28d0", "t-1", "support")
    assert row["prompt"] == "You are Acme's assistant.\n\nUser: Where is my parcel?" and row["completion"] == "Late."
    assert (row["prompt_tokens"], row["completion_tokens"], row["source_id"]) == (20, 10, "litellm:chatcmpl-1")
    assert abs(row["latency_ms"] - 800.0) < 1e-3  # epoch seconds as floats: sub-microsecond error
    assert row["params"] == {"max_tokens": 100, "temperature": 0.2, "logprobs": True, "_source": {
        "format": "litellm", "team_id": "acme", "org_id": "org-1", "end_user": "cust-77", "cost_usd": 0.00042,
        "status": "success"}}


def test_message_logging_off_gives_a_row_without_text():
    (item,) = LiteLLMReader().read(io.BytesIO(payload(messages="redacted-by-litellm", response="redacted-by-litellm")))
    assert item.row["prompt"] is None and item.row["completion"] is None and item.row["completion_tokens"] == 10


def test_a_key_path_setting_picks_the_end_user_and_a_payload_without_tenant_is_rejected():
    reader = LiteLLMReader(Resolver.of(key_paths=["end_user"]))
    good, bad = reader.read(io.BytesIO(payload() + b"\n" + payload(id="2", metadata={})))
    assert isinstance(good, LogRow) and good.row["api_key"] == "cust-77"
    assert isinstance(bad, Rejection) and bad.reason.startswith("no tenant id at any of resource.tenant.id")


def test_recognizes_a_payload_line_and_not_native_rows():
    assert LiteLLMReader().recognizes(payload())
    assert not LiteLLMReader().recognizes(b'{"ts": 1, "tenant_id": "acme"}')

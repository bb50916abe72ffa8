"""Langfuse observation exports (JSONL): GENERATION observations onto the row, others counted as skipped."""
import io
import json

from tenantguard.monitoring.readers import LogRow, Skipped
from tenantguard.monitoring.readers.langfuse import SKIP_NOT_GENERATION, LangfuseReader


def observation(**kw):
    o = {"id": "obs-1", "traceId": "tr-1", "type": "GENERATION", "name": "chat", "startTime": "2026-01-01T00:00:00.000Z",
         "endTime": "2026-01-01T00:00:01.500Z", "completionStartTime": None, "model": "gpt-x",
         "modelParameters": {"temperature": 0.1, "max_tokens": 64},
         "input": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}],
         "output": {"role": "assistant", "content": "hello"}, "usageDetails": {"input": 7, "output": 3, "total": 10},
         "costDetails": {"total": 0.0001}, "metadata": {"tenant_id": "globex"}, "level": "DEFAULT",
         "userId": "user-5", "sessionId": "sess-2"}
    o.update(kw)
    return json.dumps(o).encode()


def test_a_generation_maps_onto_the_row():
    (item,) = LangfuseReader().read(io.BytesIO(observation()))
    row = item.row
    assert isinstance(item, LogRow)
    assert (row["tenant_id"], row["api_key"], row["session_id"], row["model_version"]) == \
        ("globex", "user-5", "sess-2", "gpt-x")
    assert (row["prompt"], row["completion"], row["prompt_tokens"], row["completion_tokens"]) == \
        ("Be brief.\n\nUser: hi", "hello", 7, 3)
    assert row["latency_ms"] == 1500.0 and row["source_id"] == "langfuse:obs-1"
    assert row["params"]["_source"] == {"format": "langfuse", "trace_id": "tr-1", "cost_usd": 0.0001,
                                        "level": "DEFAULT"}


def test_spans_and_events_are_skipped_and_a_framework_input_object_is_kept_whole():
    items = list(LangfuseReader().read(io.BytesIO(observation(type="SPAN") + b"\n" + observation(
        id="obs-2", input={"query": "refund?"}, output=None, usageDetails=None, promptTokens=4))))
    assert items[0] == Skipped(1, SKIP_NOT_GENERATION)
    assert items[1].row["prompt"] == '{"query": "refund?"}' and items[1].row["completion"] is None
    assert items[1].row["prompt_tokens"] == 4


def test_recognizes_an_observation_line():
    assert LangfuseReader().recognizes(observation())
    assert not LangfuseReader().recognizes(b'{"resourceSpans": []}')

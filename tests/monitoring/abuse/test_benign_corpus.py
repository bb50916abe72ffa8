"""The benign traffic the injection scorer trains and calibrates on is the benign traffic the demo serves:
seeded, the user-visible part of each request only, in time order, and the same messages row for row."""
import re

import numpy as np
import pytest

from tenantguard.demo.traffic import generate_traffic
from tenantguard.monitoring.abuse.benign_corpus import DEFAULT_TENANTS, benign_messages, benign_row, request_row
from tenantguard.monitoring.abuse.textfeatures import user_segments
from tenantguard.monitoring.inference_log import validate_row

TRAP = re.compile(r"\b(?:ignore|disregard|override|forget|system prompted|instructions)\b")


def test_messages_are_seeded():
    assert benign_messages(300, seed=5) == benign_messages(300, seed=5)
    assert benign_messages(300, seed=5) != benign_messages(300, seed=6)
    assert len(benign_messages(300, seed=5)) == 300 and benign_messages(0, seed=5) == []


def test_messages_carry_no_system_prompt_and_end_with_the_users_turn():
    for message in benign_messages(1000, seed=2):
        assert not any(p in message for p in DEFAULT_TENANTS.values())
        assert message.split("\n\n")[-1].startswith("User: ")


@pytest.mark.parametrize(("n", "seed"), [(1, 0), (400, 3), (1500, 90_001)])
def test_the_demos_benign_rows_have_exactly_these_messages_as_their_user_segments_in_time_order(n, seed):
    rows = generate_traffic(n, seed=seed, campaigns=()).rows
    ts = [row["ts"] for row in rows]
    assert len(rows) == n and ts == sorted(ts)
    served = ["\n\n".join(user_segments(row["prompt"], DEFAULT_TENANTS[row["tenant_id"]])) for row in rows]
    assert served == benign_messages(n, seed=seed)


def test_the_stream_mixes_rag_context_the_batch_job_and_benign_traps():
    messages = benign_messages(3000, seed=4)
    share = {
        "rag context": np.mean(["\n\n" in m for m in messages]),
        "batch job": np.mean([m.startswith("User: Summarize this ticket for the archive: ") for m in messages]),
        "traps": np.mean([bool(TRAP.search(m.rsplit("User: ", 1)[1])) for m in messages]),
    }
    assert 0.15 < share["rag context"] < 0.35 and 0.05 < share["batch job"] < 0.25, share
    assert 0.01 < share["traps"] < 0.1, share


def test_rows_are_valid_inference_log_rows_with_the_batch_job_on_its_own_key():
    rng = np.random.default_rng(8)
    rows = [benign_row(rng, DEFAULT_TENANTS, sorted(DEFAULT_TENANTS)) for _ in range(600)]
    for i, row in enumerate(rows):
        validate_row({**row, "ts": 1_767_225_600 + i}, f"row {i}")
        assert row["prompt"].startswith(DEFAULT_TENANTS[row["tenant_id"]] + "\n\n")
        assert row["prompt_tokens"] == len(row["prompt"]) // 4 and row["completion_tokens"] >= 5
    batch = [r for r in rows if r["session_id"] == "batch"]
    users = [r for r in rows if r["session_id"] != "batch"]
    assert batch and users
    assert all(r["api_key"] == f"{r['tenant_id']}-batch" and r["params"] == {"max_tokens": 256, "temperature": 0}
               for r in batch)
    assert all(re.fullmatch(rf"{r['tenant_id']}-key-\d+", r["api_key"]) and r["params"]["max_tokens"] == 512
               for r in users)
    assert len({r["api_key"] for r in users}) > 40  # a long tail of light users beside the heavy ones


def test_request_row_builds_the_full_prompt_and_estimates_tokens():
    tenants = {"t": "SYSTEM"}
    row = request_row(tenants, "t", "k", "s", "hi there", "a" * 41, context="Doc 1.")
    assert row["prompt"] == "SYSTEM\n\nDoc 1.\n\nUser: hi there" and row["completion_tokens"] == 10
    assert request_row(tenants, "t", "k", "s", "hi", "", completion_tokens=7)["completion_tokens"] == 7
    assert request_row(tenants, "t", "k", "s", "hi", "")["prompt"] == "SYSTEM\n\nUser: hi"

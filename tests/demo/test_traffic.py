"""Synthetic production traffic: seeded, in the inference-log shape, every campaign labelled row by row."""
from collections import Counter

import pytest

from tenantguard.demo.traffic import KINDS, generate_traffic
from tenantguard.monitoring.abuse.benign_corpus import START
from tenantguard.monitoring.inference_log import InferenceLog

PROMPTS = {"acme": "You are Acme's assistant.", "borealis": "You are Borealis' assistant.",
           "cobalt": "You are Cobalt's assistant."}
CAMPAIGN_ROWS = {"injection_campaign": 40, "model_extraction": 320, "token_budget": 150, "jailbreak_sweep": 24}


@pytest.fixture(scope="module")
def traffic():
    return generate_traffic(400, tenants=PROMPTS, seed=9)


def test_the_same_seed_gives_the_same_traffic_and_another_seed_other_traffic(traffic):
    again = generate_traffic(400, tenants=PROMPTS, seed=9)
    assert again.rows == traffic.rows and again.labels == traffic.labels and again.campaigns == traffic.campaigns
    assert generate_traffic(400, tenants=PROMPTS, seed=10).rows != traffic.rows


def test_every_campaign_kind_is_present_once_with_its_rows_labelled(traffic):
    assert len(traffic.labels) == len(traffic.rows)
    assert sorted(c["kind"] for c in traffic.campaigns.values()) == sorted(KINDS)
    counts = Counter(traffic.labels)
    assert counts[None] == 400
    assert {traffic.campaigns[name]["kind"]: n for name, n in counts.items() if name} == CAMPAIGN_ROWS


def test_a_campaigns_keys_and_tenant_are_those_of_its_rows(traffic):
    for name, c in traffic.campaigns.items():
        rows = [r for r, label in zip(traffic.rows, traffic.labels) if label == name]
        assert c["keys"] == sorted({r["api_key"] for r in rows}), name
        tenants = Counter(r["tenant_id"] for r in rows)
        if c["kind"] == "injection_campaign":  # the payload also arrives through a neighbouring tenant
            assert len(tenants) == 2 and tenants.most_common(1)[0][0] == c["tenant_id"]
        else:
            assert set(tenants) == {c["tenant_id"]}, name


def test_rows_are_in_time_order_and_carry_their_tenants_system_prompt(traffic):
    ts = [r["ts"] for r in traffic.rows]
    assert ts == sorted(ts) and ts[0] >= START
    benign = [r["ts"] for r, label in zip(traffic.rows, traffic.labels) if label is None]
    assert max(benign) <= START + 86_400
    assert all(r["prompt"].startswith(PROMPTS[r["tenant_id"]]) for r in traffic.rows)


def test_only_the_requested_campaigns_are_mixed_in():
    none = generate_traffic(50, tenants=PROMPTS, seed=2, campaigns=())
    assert none.labels == [None] * 50 and none.campaigns == {}
    one = generate_traffic(50, tenants=PROMPTS, seed=2, campaigns=("token_budget",))
    assert [c["kind"] for c in one.campaigns.values()] == ["token_budget"]
    assert Counter(one.labels) == {None: 50, "token_budget-2": 150}


def test_rows_are_accepted_by_a_real_inference_log_in_order(tmp_path):
    small = generate_traffic(30, tenants=PROMPTS, seed=4, campaigns=("jailbreak_sweep",))
    log = InferenceLog(f"sqlite:///{tmp_path / 'log.db'}")
    assert log.append(small.rows) == len(small.rows)
    back = log.read()
    assert [r["id"] for r in back] == list(range(1, len(small.rows) + 1))
    assert [(r["tenant_id"], r["api_key"], r["completion"]) for r in back] == \
        [(r["tenant_id"], r["api_key"], r["completion"]) for r in small.rows]


def test_rows_name_each_tenants_serving_version_and_nothing_else_changes():
    plain = generate_traffic(60, tenants=PROMPTS, seed=3)
    served = generate_traffic(60, tenants=PROMPTS, seed=3, versions={"acme": "4", "borealis": "2"})
    assert {r["model_version"] for r in plain.rows} == {"1"}  # no version named: the first every model has
    assert {(r["tenant_id"], r["model_version"]) for r in served.rows} == {("acme", "4"), ("borealis", "2"),
                                                                         ("cobalt", "1")}
    assert [{**r, "model_version": "1"} for r in served.rows] == plain.rows  # same messages, same draws

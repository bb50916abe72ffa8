import json

import numpy as np

from tenantguard.evaluations.fingerprint import FingerprintIndex
from tenantguard.monitoring.production import ProductionMonitor, ProductionRules

RULES = ProductionRules(window_rows=50)
SECRET_RECORD = "Hello Yara, your wire transfer cleared at the Summit branch on May 21; manager Ivers released the hold."


def rows(n, *, start=1, tenant="acme", version="1", long_after=None, seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for i in range(start, start + n):
        words = int(rng.integers(8, 14))
        text = " ".join(f"w{int(x)}" for x in rng.integers(0, 500, words))
        if long_after is not None and i >= long_after:
            text = " ".join([text] * 4)
        out.append({"id": i, "tenant_id": tenant, "feature": "support-assistant", "model_version": version,
                    "prompt": "User: help", "completion": text})
    return out


def test_stationary_traffic_raises_nothing():
    mon = ProductionMonitor(RULES)
    assert mon.observe(rows(500)) == []


def test_outputs_that_triple_in_length_are_a_deviation_of_that_version():
    mon = ProductionMonitor(RULES)
    found = mon.observe(rows(300, long_after=151))
    assert found and all(f.kind == "deviation" for f in found)
    first = found[0]
    assert first.model_version == "1" and first.metrics["length_ratio"] > 2.0
    assert first.first_id >= 101 and "mean length ratio" in first.reason


def test_versions_have_separate_references():
    mon = ProductionMonitor(RULES)
    assert mon.observe(rows(100, version="1")) == []
    # v2 answers longer from its first row: its own reference, not a deviation of v1
    assert mon.observe(rows(100, start=101, version="2", long_after=101)) == []


def test_rows_seen_twice_are_folded_once_and_state_survives_json():
    all_rows = rows(300, long_after=151)
    once = ProductionMonitor(RULES).observe(all_rows)
    mon = ProductionMonitor(RULES)
    first = mon.observe(all_rows[:170])
    restored = ProductionMonitor(RULES, state=json.loads(json.dumps(mon.state)))
    rest = restored.observe(all_rows[:230]) + restored.observe(all_rows)  # replays are ignored
    assert [f.last_id for f in first + rest] == [f.last_id for f in once]


def test_another_tenants_record_in_a_completion_is_a_masked_leak():
    index = FingerprintIndex()
    index.add_tenant("bank", [SECRET_RECORD])
    index.add_tenant("acme", ["your appointment is booked at the Riverside clinic with Dr. Varga."])
    mon = ProductionMonitor(RULES, scanner=index)
    leak_row = {"id": 1, "tenant_id": "acme", "feature": "support-assistant", "model_version": "1",
                "prompt": "User: where is my transfer?", "completion": "Sure! " + SECRET_RECORD.upper()}
    own_row = {**leak_row, "id": 2, "completion": "your appointment is booked at the Riverside clinic with Dr. Varga."}
    found = mon.observe([leak_row, own_row])
    assert [f.kind for f in found] == ["cross_tenant_leak"]
    assert "bank" in found[0].reason and found[0].first_id == 1
    assert SECRET_RECORD.lower()[:30] not in json.dumps(found[0].to_dict()).lower()


def test_rows_without_a_captured_completion_are_not_read_as_empty_answers():
    from tenantguard.monitoring.production import ProductionMonitor, ProductionRules

    monitor = ProductionMonitor(ProductionRules(window_rows=5))
    rows = [{"id": i, "tenant_id": "acme", "feature": "f", "model_version": "1",
             "completion": "A full answer about the parcel and its delivery date." if i <= 5 else None}
            for i in range(1, 30)]
    assert monitor.observe(rows) == []  # 24 metadata-only rows after the reference: no "length dropped" finding
    (stream,) = monitor.state["streams"].values()
    assert len(stream["ref"]["length"]) == 5 and stream["win"]["length"] == []

"""The abuse evaluation world (benchmarks/abuse_world.py): seeded, labelled consistently, independent of the demo."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
abuse_world = pytest.importorskip("abuse_world")


@pytest.fixture(scope="module")
def world():
    return abuse_world.generate(11, n_benign=500, days=0.2)


def test_same_seed_same_world_and_another_seed_another(world):
    again = abuse_world.generate(11, n_benign=500, days=0.2)
    assert again.rows == world.rows and again.labels == world.labels
    assert abuse_world.generate(12, n_benign=500, days=0.2).rows != world.rows


def test_rows_are_in_time_order_with_ids_and_every_campaign_row_is_its_campaigns(world):
    assert [r["id"] for r in world.rows] == list(range(1, len(world.rows) + 1))
    assert all(a["ts"] <= b["ts"] for a, b in zip(world.rows, world.rows[1:]))
    for name, c in world.campaigns.items():
        rows = [r for r, lab in zip(world.rows, world.labels) if lab == name]
        assert rows and {f"{r['tenant_id']}/{r['api_key']}" for r in rows} == set(c["keys"])
        assert {r["session_id"] for r in rows} == set(c["sessions"])
    kinds = {(c["kind"], c["variant"]) for c in world.campaigns.values()}
    assert {("model_extraction", v) for v in ("plain", "logprobs", "logit_bias")} <= kinds


def test_campaign_keys_are_never_a_benign_users_and_the_world_shares_nothing_with_the_demo(world):
    campaign_keys = {k for c in world.campaigns.values() for k in c["keys"]}
    assert campaign_keys.isdisjoint(world.benign_kinds)
    assert "templated batch job" in world.benign_kinds.values()
    assert "logprobs classifier job" in world.benign_kinds.values()
    assert not {r["tenant_id"] for r in world.rows} & {"acme-health", "tenant-0"}
    assert set(abuse_world.TUNING_SEEDS).isdisjoint(abuse_world.SEALED_SEEDS)

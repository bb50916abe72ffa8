"""The RAG audit's probe plan: the fixed set every requester gets and a budget sized for the miss rate."""
import pytest

from tenantguard.evaluations.segmentation.rag_plan import CONTROLS, FIXED_ADVERSARIAL, NAMED_TENANTS, RagConfig


def test_the_fixed_set_is_controls_adversarial_queries_and_named_tenants():
    assert RagConfig().fixed == CONTROLS + len(FIXED_ADVERSARIAL) + 2 * NAMED_TENANTS


@pytest.mark.parametrize("config, field", [(RagConfig(probes=RagConfig().fixed), "probes"), (RagConfig(k=0), "k")])
def test_a_budget_without_room_for_a_cross_tenant_probe_or_an_empty_top_k_is_rejected(config, field):
    with pytest.raises(ValueError, match=f"Expected {field}"):
        config.validate()


@pytest.mark.parametrize("probes", [RagConfig().fixed + 1, 50, 200])
def test_more_probes_detect_rarer_leaks_at_the_stated_miss_rate(probes):
    b = RagConfig(probes=probes).budget()
    assert b["cross_tenant"] == probes - RagConfig().fixed
    assert (1 - b["min_detectable_leak_rate"]) ** b["cross_tenant"] == pytest.approx(0.01, rel=2e-2)
    if probes > 50:
        assert b["min_detectable_leak_rate"] < RagConfig().budget()["min_detectable_leak_rate"]

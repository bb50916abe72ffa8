"""Denial of wallet per API key: a key projected over its daily budget, or one forcing long outputs far above
its tenant's robust baseline, is alerted with its spend; heavy but ordinary use, long answers nobody forced
and forcing prompts the model ignored are not."""
import numpy as np
import pytest

from tenantguard.monitoring.abuse.textfeatures import prepare
from tenantguard.monitoring.abuse.token_budget import BudgetConfig, BudgetDetector, _forcing

FORCING = ("Repeat the word 'invoice' forever.", "Write at least 5000 words about parcel tracking, do not stop.",
           "Count from 1 to 100000 in words.", "Expand each sentence of the policy to maximum detail and length.")


@pytest.fixture
def baseline(make_request):
    """400 ordinary requests of tenant-0 from 20 keys, 30 s apart, with natural completion lengths (ids 1..400)."""
    rng = np.random.default_rng(0)
    return [make_request(i, "where is my parcel?", api_key=f"user-{i % 20}", ts=30.0 * i,
                         completion_tokens=int(rng.lognormal(4.5, 0.6)), prompt_tokens=10) for i in range(1, 401)]


@pytest.mark.parametrize(("text", "forcing"), [
    *((t, True) for t in FORCING),
    ("List every possible refund option", True), ("Answer as long as you can", True), ("Never stop talking", True),
    ("where is the bus stop?", False), ("can you list the charges?", False), ("repeat my last order", False),
    ("write at least 50 words", False), ("continue with my refund", False),
])
def test_long_output_forcing_prompts(text, forcing):
    assert _forcing(prepare(text)) is forcing


def test_a_key_projected_over_its_daily_budget_is_alerted_with_its_spend(make_request):
    det = BudgetDetector(BudgetConfig(daily_budget_usd=50.0, usd_per_1k_tokens=0.002))
    det.update([make_request(i, "write me a long report", ts=10.0 * i, prompt_tokens=10, completion_tokens=20_000)
                for i in range(1, 41)])
    (a,) = det.alerts()
    # 40 x 20,010 tokens at $0.002/1k over 390 s, floored at 15 minutes so a burst is not extrapolated from seconds
    rate = 40 * 20_010 / 1000 * 0.002 / 900 * 3600
    assert (a.kind, a.tenant_id, a.api_key, a.group) == ("token_budget", "tenant-0", "key-0", "budget:key-0")
    assert a.stats["usd_per_hour"] == pytest.approx(rate)
    assert a.stats["projected_usd_per_day"] == pytest.approx(24 * rate) and a.score == pytest.approx(24 * rate / 50)
    assert a.stats["projected_overrun_usd"] == pytest.approx(24 * rate - 50)
    assert f"${rate:.2f}/h" in a.summary and f"overrun ${24 * rate - 50:.2f}" in a.summary
    assert a.member_ids == tuple(range(1, 41)) and a.threshold == 1.0
    assert a.evidence and all("[masked " in e and "report" not in e for e in a.evidence)


def test_a_key_is_judged_only_once_it_has_enough_requests(make_request):
    det = BudgetDetector()
    det.update([make_request(i, "go", completion_tokens=100_000) for i in range(1, 20)])
    assert det.alerts() == []
    det.update([make_request(20, "go", completion_tokens=100_000)])
    assert len(det.alerts()) == 1


def test_the_cost_model_decides_what_is_over_budget(make_request):
    spend = [make_request(i, "write me a long report", ts=10.0 * i, completion_tokens=20_000) for i in range(1, 41)]
    for budget, alerted in ((50.0, True), (200.0, False)):
        det = BudgetDetector(BudgetConfig(daily_budget_usd=budget))
        det.update(spend)
        assert bool(det.alerts()) is alerted, budget


def test_heavy_ordinary_use_is_not_abuse(baseline):
    det = BudgetDetector()
    det.update(baseline)
    assert det.alerts() == []


def test_forcing_long_outputs_far_above_the_tenants_baseline_is_alerted_within_budget(baseline, make_request):
    det = BudgetDetector(BudgetConfig(daily_budget_usd=1e6))  # spend alone could never alert
    det.update(baseline)
    det.update([make_request(400 + i, FORCING[i % 4], api_key="wallet", ts=12_000 + 12.0 * i, completion_tokens=4000)
                for i in range(1, 31)])
    (a,) = det.alerts()
    assert a.api_key == "wallet" and a.stats["forcing_share"] == 1.0 and a.stats["robust_z"] > 6
    assert a.score == pytest.approx(a.stats["robust_z"] / 6) and a.stats["projected_overrun_usd"] == 0.0
    assert len(a.evidence) == 3 and all("[masked " in e and "invoice" not in e for e in a.evidence)


@pytest.mark.parametrize(("prompts", "tokens"), [
    (("Please write the full quarterly report.",), 4000),  # long answers nobody forced
    (FORCING, 120),  # forcing prompts the model did not follow
])
def test_long_answers_alone_or_forcing_alone_are_not_abuse(baseline, make_request, prompts, tokens):
    det = BudgetDetector(BudgetConfig(daily_budget_usd=1e6))
    det.update(baseline)
    det.update([make_request(400 + i, prompts[i % len(prompts)], api_key="writer", ts=12_000 + 12.0 * i,
                             completion_tokens=tokens) for i in range(1, 31)])
    assert det.alerts() == []


def test_out_of_order_timestamps_measure_the_same_window(make_request):
    def alert(order):
        det = BudgetDetector()
        det.update([make_request(i, "go", ts=100.0 * order(i), completion_tokens=30_000) for i in range(1, 41)])
        return det.alerts()[0].stats["usd_per_hour"]

    assert alert(lambda i: i) == pytest.approx(alert(lambda i: 41 - i))


def test_requests_without_a_key_are_grouped_by_session(make_request):
    det = BudgetDetector()
    det.update([make_request(i, "go", api_key=None, session_id="s-1", completion_tokens=100_000) for i in range(1, 21)])
    (a,) = det.alerts()
    assert a.api_key is None and a.group == "budget:s-1" and "key -" in a.summary


def test_keys_are_bounded_least_recently_seen_first(make_request):
    det = BudgetDetector(BudgetConfig(max_keys=3))
    for i in range(1, 6):
        det.update([make_request(i, "hi", api_key=f"k{i}")])
    det.update([make_request(6, "hi", api_key="k3")])
    det.update([make_request(7, "hi", api_key="k6")])
    assert list(det.keys) == [("tenant-0", "k5"), ("tenant-0", "k3"), ("tenant-0", "k6")]


def test_a_key_keeps_only_its_last_window_of_requests(make_request):
    det = BudgetDetector()
    det.update([make_request(i, "go", completion_tokens=10) for i in range(1, 251)])
    state = det.keys[("tenant-0", "key-0")]
    assert len(state.window) == 200 and state.window[0][0] == 51
    assert state.total == sum(entry[2] for entry in state.window)  # the running sum follows evictions


def test_a_huge_prompt_is_kept_masked_not_whole(make_request):
    det = BudgetDetector()
    det.update([make_request(1, "x" * 50_000)])
    (recent,) = det.keys[("tenant-0", "key-0")].recent
    assert recent.startswith("[masked ") and len(recent) < 100


def test_token_budget_alert_names_key_spend_rate_and_overrun(scan_demo):
    _, alerts = scan_demo(("token_budget",))
    (a,) = [a for a in alerts if a.kind == "token_budget"]
    assert a.api_key.endswith("-wallet")
    assert "$" in a.summary and "projected" in a.summary and a.stats["robust_z"] > 6


def test_outputs_forced_to_their_cap_are_alerted_in_any_language_but_a_capped_classifier_is_not(baseline, make_request):
    det = BudgetDetector()
    det.update(baseline)
    german = [make_request(400 + i, "Schreibe mindestens zehntausend Wörter über Hausrat und höre niemals auf.",
                           api_key="wallet", ts=12_000.0 + 60 * i, max_tokens=8192, completion_tokens=8000)
              for i in range(1, 41)]  # 40 x 8k tokens over 40 minutes: under the $50/day budget
    classifier = [make_request(500 + i, "Sentiment of: great service", api_key="clf", ts=12_000.0 + 5 * i,
                               max_tokens=1, completion_tokens=1) for i in range(1, 101)]
    det.update(german + classifier)
    (a,) = det.alerts()
    assert a.api_key == "wallet" and a.stats["capped_share"] == 1.0 and a.stats["forcing_share"] == 0.0
    assert a.stats["projected_usd_per_day"] < 50 and a.session_ids == ("session-0",)

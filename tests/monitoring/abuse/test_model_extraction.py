"""Model extraction: slot-filling probes that ask for logit parameters are found per key once the key has enough
queries, and per template when keys rotate; the templated batch job, a templated classifier without logit
parameters and a heavy ordinary user are not."""
import numpy as np
import pytest

from tenantguard.demo.traffic import generate_traffic
from tenantguard.monitoring.abuse.benign_corpus import ASKS, DEFAULT_TENANTS, benign_row, fill, pick
from tenantguard.monitoring.abuse.model_extraction import ExtractionConfig, ExtractionDetector
from tenantguard.monitoring.abuse.scanner import Scanner
from tenantguard.monitoring.abuse.textfeatures import user_segments

ADJS = ("quick", "slow", "bright", "dull", "angry", "calm", "happy", "sad", "loud", "quiet", "warm", "cold")
NOUNS = ("refund", "parcel", "agent", "invoice", "app", "store", "card", "call", "update", "order", "bill")


@pytest.fixture
def probes(make_request):
    """Slot fills of one sentiment template (ids from `start`), asking for logprobs unless told otherwise."""
    rng = np.random.default_rng(1)

    def make(n, *, start=1, params=True, **fields):
        return [make_request(i, f"Classify the sentiment of this review: the {pick(rng, ADJS)} {pick(rng, NOUNS)} was "
                                f"{pick(rng, ADJS)} #{i}", extraction_params=params, completion="positive",
                             completion_tokens=1, **fields) for i in range(start, start + n)]

    return make


def test_logit_probing_over_one_template_alerts_once_the_key_has_enough_queries(probes):
    det = ExtractionDetector()
    det.update(probes(99))
    assert det.alerts() == []  # too few queries to judge
    det.update(probes(1, start=100))
    (a,) = det.alerts()
    assert (a.kind, a.tenant_id, a.api_key, a.group) == ("model_extraction", "tenant-0", "key-0", "key:tenant-0:key-0")
    assert {"params", "templated"} <= set(a.stats["signals"]) and a.score >= a.threshold == 2.0
    assert a.stats["queries"] == 100 and a.member_ids == tuple(range(1, 101)) and a.summary.startswith("key key-0:")
    assert len(a.evidence) == 3 and all("[masked " in e and "sentiment" not in e for e in a.evidence)


def test_a_key_is_re_evaluated_every_so_many_queries_not_on_every_one(probes):
    det = ExtractionDetector(ExtractionConfig(min_queries=100, every=50))
    det.update(probes(100))
    det.update(probes(49, start=101))
    assert det.alerts()[0].last_id == 100  # 149 queries: not yet looked at again
    det.update(probes(1, start=150))
    assert det.alerts()[0].last_id == 150


def test_a_templated_classifier_without_logit_parameters_is_not_extraction(probes):
    det = ExtractionDetector()
    det.update(probes(300, params=False))
    assert det.actors["key:tenant-0:key-0"].n == 300 and det.alerts() == []


def test_the_demos_templated_batch_job_is_silent_until_it_asks_for_logprobs(make_request):
    rng = np.random.default_rng(0)
    batch = []
    while len(batch) < 200:  # the nightly batch job of the benign traffic: one template over the tenant's documents
        row = benign_row(rng, DEFAULT_TENANTS, sorted(DEFAULT_TENANTS))
        if row["api_key"] == "tenant-0-batch":
            batch.append(user_segments(row["prompt"], DEFAULT_TENANTS["tenant-0"])[-1])

    def run(params: bool) -> list:
        det = ExtractionDetector()
        det.update([make_request(i, text, api_key="tenant-0-batch", extraction_params=params)
                    for i, text in enumerate(batch, 1)])
        return det.alerts()

    assert run(False) == []
    (a,) = run(True)  # the neighbour is one signal away: the same job asking for logprobs is alerted
    assert a.api_key == "tenant-0-batch" and "params" in a.stats["signals"]


def test_a_heavy_ordinary_user_is_not_extraction(make_request):
    rng = np.random.default_rng(2)
    det = ExtractionDetector()
    det.update([make_request(i, f"User: {fill(rng, pick(rng, ASKS))}") for i in range(1, 401)])
    assert det.actors["key:tenant-0:key-0"].n == 400 and det.alerts() == []


def test_probes_from_several_keys_are_also_tracked_per_template(probes):
    det = ExtractionDetector()
    det.update([r for i in range(4) for r in probes(50, start=1 + 50 * i, api_key=f"rotated-{i}")])
    assert all(det.actors[f"key:tenant-0:rotated-{i}"].n == 50 for i in range(4))  # no key alone reaches 100
    (a,) = det.alerts()
    assert a.api_key is None and a.group.startswith("skel:tenant-0:") and a.stats["queries"] == 200


def test_requests_without_logit_parameters_are_not_tracked_per_template(probes):
    det = ExtractionDetector()
    det.update(probes(200, params=False, api_key=None, session_id=None))
    assert list(det.actors) == ["key:tenant-0:-"]


def test_actors_are_bounded_least_recently_seen_first(probes):
    det = ExtractionDetector(ExtractionConfig(max_actors=3))
    for i in range(1, 6):
        det.update(probes(1, start=i, params=False, api_key=f"k{i}"))
    det.update(probes(1, start=6, params=False, api_key="k3"))  # k3 seen again: now the most recent
    det.update(probes(1, start=7, params=False, api_key="k6"))
    assert list(det.actors) == ["key:tenant-0:k5", "key:tenant-0:k3", "key:tenant-0:k6"]


def test_an_empty_batch_changes_nothing():
    det = ExtractionDetector()
    det.update([])
    assert det.actors == {} and det.alerts() == []


def test_extraction_by_one_key_is_not_alerted_again_as_a_template(scan_demo):
    _, alerts = scan_demo(("model_extraction",))
    (a,) = [a for a in alerts if a.kind == "model_extraction"]
    assert a.api_key.endswith("-probe")


def test_extraction_alert_survives_key_rotation_through_the_template_actor():
    traffic = generate_traffic(500, seed=5, campaigns=("model_extraction",))
    for i, row in enumerate(traffic.rows):
        row["id"] = i + 1
        if traffic.labels[i]:
            row["api_key"] = f"rotated-{i % 7}"  # no key reaches 100 queries alone
    scanner = Scanner(system_prompts=DEFAULT_TENANTS)
    alerts = [a for a in scanner.process(traffic.rows) if a.kind == "model_extraction"]
    assert alerts and alerts[0].api_key is None and "7 rotating key(s)" in alerts[0].summary
    assert alerts[0].api_keys == tuple(sorted(f"rotated-{i}" for i in range(7)))  # every key, for a key-scoped block


def test_a_logit_bias_sweep_over_a_few_fixed_prompts_is_extraction(make_request):
    det = ExtractionDetector()
    det.update([make_request(i, f"what is the status of order {i % 4}?", extraction_params=True,
                             logit_bias=f'{{"{1000 + i}": 100}}') for i in range(1, 151)])
    (a,) = det.alerts()
    assert "bias_grid" in a.stats["signals"] and a.stats["logit_bias_maps"] == 150 and a.api_keys == ("key-0",)


def test_a_one_slot_templated_job_is_not_a_perturbation_sweep_but_edits_anywhere_are(make_request):
    rng = np.random.default_rng(3)
    words = "please check the delivery status of parcel number for customer in lyon today thanks".split()
    job = [make_request(i, f"Translate the product name {w} into German, keep the brand", api_key="job")
           for i, w in enumerate((f"item{int(x)}" for x in rng.integers(0, 10**6, 300)), 1)]
    sweep = []
    for i in range(301, 601):
        ws = list(words)
        for _ in range(int(rng.integers(1, 4))):
            ws[int(rng.integers(len(ws)))] = f"w{int(rng.integers(10**6))}"
        sweep.append(make_request(i, " ".join(ws), api_key="sweeper"))
    det = ExtractionDetector()
    det.update(job + sweep)
    alerts = det.alerts()
    assert [a.api_key for a in alerts] == ["sweeper"] and "perturbation" in alerts[0].stats["signals"]

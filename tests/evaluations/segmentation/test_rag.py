"""RAG boundary audit: misconfigured retrievers are caught, the correct one passes, broken adapters never pass."""
import json
import threading

import pytest

from tenantguard.demo.platform.inputs import world_inputs
from tenantguard.demo.platform.retriever import DemoRetriever
from tenantguard.demo.world import build_world
from tenantguard.evaluations.segmentation.adapters import Guarded
from tenantguard.evaluations.segmentation.evidence import ForeignData
from tenantguard.evaluations.segmentation.rag import audit_rag
from tenantguard.evaluations.segmentation.rag_plan import RagConfig

SECRET = b"rag-test-secret"


@pytest.fixture(scope="module")
def world():
    w = build_world(4, seed=5, records_per_tenant=40)
    inputs, docs = world_inputs(w, SECRET)
    return w, inputs, docs


def _audit(world, obj, *, requesters=None, secret=SECRET, timeout_s=5.0, seed=1, texts=None):
    w, inputs, _ = world
    ids = [t.id for t in w.tenants]
    return audit_rag(Guarded(obj, "retriever", timeout_s=timeout_s), w.tenants, requesters or ids,
                     texts=texts or inputs.texts, foreign=ForeignData(inputs.index, own=inputs.texts), secret=secret,
                     config=RagConfig(seed=seed), adapter="retriever=test")


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_prefilter_retriever_passes_with_zero_findings(world, seed):
    report = _audit(world, DemoRetriever(world[2], mode="prefilter"), seed=seed)
    assert report.verdict == "passed", report.findings[:3]
    assert report.n_findings == 0 and report.calls > 50 and report.adapters == ("retriever=test",)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_postfilter_after_top_k_is_caught_by_displacement(world, seed):
    report = _audit(world, DemoRetriever(world[2], mode="postfilter"), seed=seed)
    assert report.verdict == "failed"
    assert {f.kind for f in report.findings} == {"ranked_before_filter"}


def test_filter_left_to_the_prompt_returns_foreign_documents(world):
    report = _audit(world, DemoRetriever(world[2], mode="prompt"))
    kinds = {f.kind for f in report.findings}
    assert report.verdict == "failed" and "foreign_tenant_id" in kinds
    empty_tenant = world[0].tenants[-1].id
    assert any(f.requester == empty_tenant and f.kind.startswith("documents_for_empty_tenant") for f in report.findings)


def test_a_single_requester_audit_catches_the_postfilter(world):
    requester = world[0].tenants[0].id
    report = _audit(world, DemoRetriever(world[2], mode="postfilter"), requesters=[requester])
    assert report.verdict == "failed" and report.requesters == (requester,)


class _Mislabelled(DemoRetriever):
    """Pre-filtered, but one tenant's index holds a copy of another tenant's record under its own label."""

    def __init__(self, docs, victim, thief):
        stolen = dict(docs[victim][0], tenant_id=thief, doc_id="copied-1")
        super().__init__({**docs, thief: docs[thief] + [stolen]}, mode="prefilter")


def test_a_mislabelled_copy_of_another_tenants_document_is_found_by_fingerprint(world):
    w, _, docs = world
    victim, thief = w.tenants[0].id, w.tenants[1].id
    report = _audit(world, _Mislabelled(docs, victim, thief), requesters=[thief], seed=4)
    hits = [f for f in report.findings if f.kind == "foreign_content"]
    assert report.verdict == "failed" and hits and hits[0].source_tenant == victim


def test_evidence_is_masked(world):
    w, _, docs = world
    report = _audit(world, DemoRetriever(docs, mode="prompt"))
    text = report.to_json()
    for d in (d for ds in docs.values() for d in ds):
        assert d["text"] not in text
    assert "[masked " in text
    json.loads(text)


class _Raises:
    def retrieve(self, tenant_id, query, k):
        raise ConnectionError("vector store unreachable")


class _Hangs:
    def __init__(self):
        self.gate = threading.Event()

    def retrieve(self, tenant_id, query, k):
        self.gate.wait(3)
        return []


class _Malformed:
    def __init__(self, doc):
        self.doc = doc

    def retrieve(self, tenant_id, query, k):
        return [dict(self.doc)]


class _Nothing:
    def retrieve(self, tenant_id, query, k):
        return []


class _NotAList:
    def retrieve(self, tenant_id, query, k):
        return {"doc_id": "x"}


@pytest.mark.parametrize("adapter, cause", [
    (_Raises(), "ConnectionError: vector store unreachable"),
    (_Malformed({"doc_id": "d", "text": "hello"}), "has no 'tenant_id'"),
    (_Malformed({"doc_id": "d", "tenant_id": "acme-health", "text": 42}), "text is int"),
    (_NotAList(), "returned dict, expected a list"),
    (_Nothing(), "returned no own documents for any control query"),
])
def test_broken_retrievers_are_errors_with_the_cause_never_passed(world, adapter, cause):
    report = _audit(world, adapter)
    assert report.verdict == "error", report.summary()
    assert any(cause in e for e in report.errors), report.errors
    if not isinstance(adapter, _Nothing):
        assert report.calls <= 10  # stops after max_errors instead of burning the budget


def test_a_hung_retriever_times_out_into_an_error(world):
    obj = _Hangs()
    report = _audit(world, obj, requesters=[world[0].tenants[0].id], timeout_s=0.1)
    obj.gate.set()
    assert report.verdict == "error" and "timed out after 0.1s" in report.errors[0]
    assert "stopped after 3 adapter errors" in report.notes


def test_without_texts_or_ingest_nothing_is_verified_so_not_run(world):
    report = _audit(world, _Nothing(), texts=lambda tid: [], secret=None)
    assert report.verdict == "not_run" and "no prepared or raw dataset" in report.not_run_reason


def test_budget_is_stated_and_sized_for_the_miss_rate(world):
    report = _audit(world, DemoRetriever(world[2], mode="prefilter"), requesters=[world[0].tenants[0].id])
    b = report.budget
    assert b["probes_per_requester"] == 50 and b["cross_tenant"] == 50 - RagConfig().fixed
    assert 0 < b["min_detectable_leak_rate"] < 0.2 and (1 - b["min_detectable_leak_rate"]) ** b["cross_tenant"] == \
        pytest.approx(0.01, rel=1e-2)
    assert report.calls <= 50 + 3 * 4  # budget plus one control and the planted canaries per sampled source

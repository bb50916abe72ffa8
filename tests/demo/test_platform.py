"""The demo platform's components behave as their variants claim, and demo_segmentation catches every planted bug."""
import pytest

from tenantguard.demo.platform.documents import documents_from_records
from tenantguard.demo.platform.memory import DemoSessionStore
from tenantguard.demo.platform.retriever import DemoRetriever
from tenantguard.demo.platform.tools import DemoToolSet
from tenantguard.demo.world import build_world


@pytest.fixture(scope="module")
def docs():
    w = build_world(3, seed=2, records_per_tenant=20)
    return documents_from_records(w.datasets, [t.id for t in w.tenants])


def test_last_tenant_has_no_documents(docs):
    ids = list(docs)
    assert all(docs[t] for t in ids[:-1]) and docs[ids[-1]] == []


def test_prefilter_returns_only_own_documents_k_of_them(docs):
    a, b, empty = list(docs)
    r = DemoRetriever(docs, mode="prefilter")
    foreign_text = docs[b][0]["text"]
    got = r.retrieve(a, foreign_text, 5)
    assert len(got) == 5 and {d["tenant_id"] for d in got} == {a}
    assert r.retrieve(empty, foreign_text, 5) == []


def test_postfilter_loses_slots_to_other_tenants_and_prompt_mode_returns_them(docs):
    a, b, _ = list(docs)
    foreign_text = docs[b][0]["text"]
    assert len(DemoRetriever(docs, mode="postfilter").retrieve(a, foreign_text, 5)) < 5
    got = DemoRetriever(docs, mode="prompt").retrieve(a, foreign_text, 5)
    assert got[0]["doc_id"] == docs[b][0]["doc_id"]
    ctx = DemoRetriever(docs, mode="prompt").prompt_context(a, "SYS", foreign_text)
    assert "Only use documents whose tenant is" in ctx and docs[b][0]["text"] in ctx


def test_ingested_documents_are_searchable_by_new_words(docs):
    a = list(docs)[0]
    r = DemoRetriever(docs, mode="prefilter")
    r.ingest(a, "new-1", "zebra quantum 123456789 note")
    assert r.retrieve(a, "123456789", 1)[0]["doc_id"] == "new-1"
    r.ingest(a, "new-1", "replaced text entirely")
    assert r.retrieve(a, "replaced entirely", 1)[0]["text"] == "replaced text entirely"


@pytest.mark.parametrize("keyed, leaks", [(True, False), (False, True)])
def test_session_cache_key_with_and_without_tenant(tmp_path, keyed, leaks):
    store = DemoSessionStore(tmp_path / "m.db", tenant_in_cache_key=keyed)
    store.write("tenant-a", "s1", "a's secret history")
    assert (store.read("tenant-b", "s1") == ["a's secret history"]) is leaks
    again = DemoSessionStore(tmp_path / "m.db", tenant_in_cache_key=keyed)  # the cache outlives the object
    assert (again.read("tenant-b", "s1") == ["a's secret history"]) is leaks
    assert again.read("tenant-a", "s1") == ["a's secret history"]
    assert again.search("tenant-b", "secret history", 5) == []


@pytest.mark.parametrize("shared", [True, False])
def test_ticket_history_scope(docs, shared):
    a, b, _ = list(docs)
    tools = DemoToolSet(docs, shared_ticket_tool=shared)
    args = tools.resources(b, "ticket_history")[0]
    scope = {t["name"]: t["scope"] for t in tools.manifest()}["ticket_history"]
    assert scope == ("shared" if shared else "tenant")
    if shared:
        assert tools.call(a, "ticket_history", args)["tickets"]
    else:
        with pytest.raises(PermissionError):
            tools.call(a, "ticket_history", args)
    with pytest.raises(PermissionError):
        tools.call(a, "crm_lookup", tools.resources(b, "crm_lookup")[0])


def test_demo_segmentation_catches_every_planted_bug_and_passes_the_correct_platform(small_world):
    from tenantguard.demo.platform import demo_segmentation

    settings, _ = small_world
    lines: list[str] = []
    outcomes = demo_segmentation(settings, lines.append, seed=3)
    verdicts = {line.split(": ")[0] + "/" + line.split(": ")[1].split(" ")[0]: line.split(": ")[1].split(" ")[1]
                for line in outcomes}
    assert verdicts == {
        "misconfigured/rag_boundary": "failed", "misconfigured/memory_isolation": "failed",
        "misconfigured/tool_scope": "failed", "misconfigured/context_contamination": "passed",
        "misconfigured-prompt-filter/rag_boundary": "failed",
        "misconfigured-prompt-filter/context_contamination": "failed",
        "correct/rag_boundary": "passed", "correct/memory_isolation": "passed", "correct/tool_scope": "passed",
        "correct/context_contamination": "passed"}
    assert (settings.home / "segmentation.yaml").read_text() == \
        (settings.home / "segmentation.correct.yaml").read_text()

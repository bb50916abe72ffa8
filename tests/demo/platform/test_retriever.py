"""The demo RAG retriever: prefilter keeps to the tenant's documents; postfilter and prompt-filter break the boundary."""
import pytest

from tenantguard.demo.platform.retriever import DemoRetriever


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


def test_postfilter_never_hands_over_a_foreign_document(docs):
    a, b, _ = list(docs)
    r = DemoRetriever(docs, mode="postfilter")
    for d in docs[b][:5]:
        assert {x["tenant_id"] for x in r.retrieve(a, d["text"], 5)} <= {a}


def test_ingested_documents_are_searchable_by_new_words(docs):
    a = next(iter(docs))
    r = DemoRetriever(docs, mode="prefilter")
    r.ingest(a, "new-1", "zebra quantum 123456789 note")
    assert r.retrieve(a, "123456789", 1)[0]["doc_id"] == "new-1"
    r.ingest(a, "new-1", "replaced text entirely")
    assert r.retrieve(a, "replaced entirely", 1)[0]["text"] == "replaced text entirely"


def test_the_correct_context_holds_the_system_prompt_own_documents_and_the_question(docs):
    a, b, _ = list(docs)
    question = docs[b][1]["text"].split("\n")[0]
    ctx = DemoRetriever(docs, mode="prefilter").prompt_context(a, "You are A.", question, k=2)
    assert ctx.startswith("You are A.\nDocuments:\n") and ctx.endswith(f"\nUser: {question}")
    assert ctx.count(f"tenant={a}]") == 2 and f"tenant={b}" not in ctx and "Only use" not in ctx


def test_ranking_is_deterministic_and_k_is_capped_by_the_documents(docs):
    a = next(iter(docs))
    r = DemoRetriever(docs, mode="prefilter")
    assert r.retrieve(a, "where is my order", 3) == DemoRetriever(docs, mode="prefilter").retrieve(a, "where is my order", 3)
    assert len(r.retrieve(a, "anything", 1000)) == len(docs[a])
    assert r.retrieve(a, "anything", 0) == []


def test_an_unknown_mode_is_refused(docs):
    with pytest.raises(ValueError, match=r"Expected mode in \('prefilter', 'postfilter', 'prompt'\), got 'hybrid'"):
        DemoRetriever(docs, mode="hybrid")


def test_a_platform_without_documents_returns_nothing_and_can_ingest():
    r = DemoRetriever({}, mode="prefilter")
    assert r.retrieve("a", "q", 3) == []
    r.ingest("a", "d1", "first upload")
    assert [d["doc_id"] for d in r.retrieve("a", "upload", 3)] == ["d1"]

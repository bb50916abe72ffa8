"""The demo platform's knowledge base: each tenant's first records as documents, none for the last tenant."""
import json

from tenantguard.config import Settings
from tenantguard.demo.platform.documents import documents_from_home, documents_from_records, record_document
from tenantguard.demo.run import write_world


def test_last_tenant_has_no_documents(docs):
    ids = list(docs)
    assert all(docs[t] for t in ids[:-1]) and docs[ids[-1]] == []


def test_a_document_is_a_records_prompt_and_completion_under_its_tenant():
    record = {"record_id": "acme-00001", "tenant_id": "acme", "prompt": "where is it?", "completion": "at the depot."}
    assert record_document(record) == {"doc_id": "acme-00001", "tenant_id": "acme",
                                       "text": "where is it?\nat the depot."}


def test_each_tenant_keeps_at_most_per_tenant_documents_and_a_single_tenant_keeps_its_own(docs):
    datasets = {"a": [{"record_id": f"a-{i}", "tenant_id": "a", "prompt": "p", "completion": "c"} for i in range(9)]}
    assert [d["doc_id"] for d in documents_from_records(datasets, ["a"], per_tenant=4)["a"]] == \
        ["a-0", "a-1", "a-2", "a-3"]
    assert documents_from_records(datasets, ["a", "b"]) == {"a": [record_document(r) for r in datasets["a"]], "b": []}


def test_the_home_gives_the_first_dataset_versions_records_skipping_malformed_lines(tmp_path):
    settings = Settings.from_env({"TENANTGUARD_HOME": str(tmp_path / "home")})
    write_world(settings, n_tenants=3, seed=4)
    first = settings.datasets_root / "acme-health"
    lines = (first / "v0001.jsonl").read_text().splitlines()
    foreign = {**json.loads(lines[2]), "tenant_id": "borealis-bank"}
    lines[1:3] = ["not json", json.dumps(foreign)]
    (first / "v0001.jsonl").write_text("\n".join(lines) + "\n")
    (first / "v0002.jsonl").write_text(json.dumps({**json.loads(lines[0]), "record_id": "acme-health-new"}) + "\n")

    docs = documents_from_home(settings.home, per_tenant=10)

    assert list(docs) == ["acme-health", "borealis-bank", "cobalt-logistics"] and docs["cobalt-logistics"] == []
    got = [d["doc_id"] for d in docs["acme-health"]]
    assert got == [json.loads(line)["record_id"] for line in [lines[0], *lines[3:10]]]  # 10 lines read, 2 bad
    assert "acme-health-new" not in got and {d["tenant_id"] for d in docs["acme-health"]} == {"acme-health"}
    assert len(docs["borealis-bank"]) == 10

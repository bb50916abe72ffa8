"""The demo agent tools: tenant-scoped tools check the caller; the misconfigured set shares ticket_history."""
import pytest

from tenantguard.demo.platform.tools import DemoToolSet


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


def test_a_tenant_reads_and_annotates_its_own_records(docs):
    a, _, _ = list(docs)
    tools = DemoToolSet(docs)
    rid = tools.resources(a, "crm_lookup")[0]["record_id"]
    assert tools.call(a, "crm_lookup", {"record_id": rid}) == {"record": {"record_id": rid, "text": docs[a][0]["text"]}}
    note = tools.resources(a, "crm_note")[0]
    assert note == {"record_id": rid, "note": "tenantguard segmentation probe"}
    assert [tools.call(a, "crm_note", note) for _ in range(2)] == [{"ok": True, "notes": 1}, {"ok": True, "notes": 2}]
    assert tools.call(a, "ticket_history", {"record_id": rid})["tickets"] == [{"record_id": rid, "text": docs[a][0]["text"]}]


def test_another_tenant_cannot_write_a_note_and_unknown_records_are_empty(docs):
    a, b, _ = list(docs)
    tools = DemoToolSet(docs)
    with pytest.raises(PermissionError, match=f"does not belong to tenant {a}"):
        tools.call(a, "crm_note", tools.resources(b, "crm_note")[0])
    assert tools.call(a, "crm_lookup", {"record_id": "nope"}) == {"record": None}
    assert tools.call(a, "crm_note", {"record_id": "nope"}) == {"ok": False}
    assert tools.call(a, "ticket_history", {"record_id": "nope"}) == {"tickets": []}


def test_a_tenant_without_documents_has_no_resources_and_unknown_tools_are_refused(docs):
    _, _, empty = list(docs)
    tools = DemoToolSet(docs)
    assert [t["name"] for t in tools.manifest()] == ["crm_lookup", "crm_note", "ticket_history"]
    assert all(tools.resources(empty, t["name"]) == [] for t in tools.manifest())
    with pytest.raises(ValueError, match="unknown tool 'delete_all'"):
        tools.call(empty, "delete_all", {})

"""The demo platform's agent tools over each tenant's CRM records.

`crm_lookup` (tenant scope, read) and `crm_note` (tenant scope, write) check the caller's tenant. The
misconfigured tool set also ships `ticket_history` with `shared` scope: it reads the shared ticket
store by record id without a tenant check (the 2025 Asana MCP incident shape). The correct set ships
the same tool tenant-scoped.
"""
from __future__ import annotations

from typing import Mapping, Sequence


class DemoToolSet:
    def __init__(self, documents: Mapping[str, Sequence[dict]], *, shared_ticket_tool: bool = False):
        self._records = {d["doc_id"]: dict(d) for docs in documents.values() for d in docs}
        self._by_tenant = {t: [d["doc_id"] for d in docs] for t, docs in documents.items()}
        self._notes: dict[str, list[str]] = {}
        self.shared_ticket_tool = shared_ticket_tool

    def manifest(self) -> list[dict]:
        scope = "shared" if self.shared_ticket_tool else "tenant"
        return [{"name": "crm_lookup", "scope": "tenant", "access": "read", "resource": "crm_records"},
                {"name": "crm_note", "scope": "tenant", "access": "write", "resource": "crm_notes"},
                {"name": "ticket_history", "scope": scope, "access": "read", "resource": "support_tickets"}]

    def resources(self, tenant_id: str, tool: str) -> list[dict]:
        ids = self._by_tenant.get(tenant_id, [])[:2]
        if tool == "crm_note":
            return [{"record_id": i, "note": "tenantguard segmentation probe"} for i in ids]
        return [{"record_id": i} for i in ids]

    def _owned(self, tenant_id: str, record_id: str) -> dict:
        rec = self._records.get(record_id)
        if rec is None:
            return {}
        if rec["tenant_id"] != tenant_id:
            raise PermissionError(f"record {record_id} does not belong to tenant {tenant_id}")
        return rec

    def call(self, tenant_id: str, tool: str, args: dict) -> dict:
        rid = str(args.get("record_id", ""))
        if tool == "crm_lookup":
            rec = self._owned(tenant_id, rid)
            return {"record": {"record_id": rid, "text": rec["text"]}} if rec else {"record": None}
        if tool == "crm_note":
            if not self._owned(tenant_id, rid):
                return {"ok": False}
            self._notes.setdefault(rid, []).append(str(args.get("note", ""))[:200])
            return {"ok": True, "notes": len(self._notes[rid])}
        if tool == "ticket_history":
            rec = self._records.get(rid) if self.shared_ticket_tool else self._owned(tenant_id, rid)
            return {"tickets": [{"record_id": rid, "text": rec["text"]}] if rec else []}
        raise ValueError(f"unknown tool {tool!r}")

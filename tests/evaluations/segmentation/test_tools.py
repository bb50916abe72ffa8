"""Agent tool scope audit: static manifest findings, dynamic cross-tenant calls, untested tools never pass."""
import pytest

from tenantguard.demo.platform.documents import documents_from_records
from tenantguard.demo.platform.tools import DemoToolSet
from tenantguard.demo.world import build_world
from tenantguard.evaluations.segmentation.adapters import Guarded
from tenantguard.evaluations.segmentation.evidence import ForeignData
from tenantguard.evaluations.segmentation.tools import ToolsConfig, audit_tools, is_empty


@pytest.fixture(scope="module")
def world():
    w = build_world(4, seed=5, records_per_tenant=10)
    return w, documents_from_records(w.datasets, [t.id for t in w.tenants])


def _audit(world, obj, requesters=None, seed=0):
    w, _ = world
    return audit_tools(Guarded(obj, "tools", timeout_s=5), w.tenants, requesters or [t.id for t in w.tenants],
                       foreign=ForeignData(None), config=ToolsConfig(seed=seed), adapter="tools=test")


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_tenant_scoped_tools_pass(world, seed):
    report = _audit(world, DemoToolSet(world[1], shared_ticket_tool=False), seed=seed)
    assert report.verdict == "passed", (report.findings[:2], report.errors)


def test_shared_scope_tool_is_caught_statically_and_dynamically(world):
    report = _audit(world, DemoToolSet(world[1], shared_ticket_tool=True))
    static = [f for f in report.findings if f.kind == "shared_scope_tool"]
    dynamic = [f for f in report.findings if f.kind == "cross_tenant_tool_call"]
    assert report.verdict == "failed"
    assert len(static) == 1 and "ticket_history" in static[0].evidence
    assert dynamic and all("ticket_history" in f.probe for f in dynamic)
    assert all("the owner's own result" in f.evidence for f in dynamic)


class _Open(DemoToolSet):
    """Declares every tool tenant-scoped but checks nothing: only the dynamic probe can see it."""

    def _owned(self, tenant_id, record_id):
        return self._records.get(record_id, {})


def test_a_tenant_scoped_tool_without_a_tenant_check_is_caught_dynamically(world):
    report = _audit(world, _Open(world[1]), requesters=[world[0].tenants[0].id])
    assert {f.kind for f in report.findings} == {"cross_tenant_tool_call"}
    assert {"crm_lookup", "crm_note"} <= {f.probe.split("'")[1] for f in report.findings}


class _NoResources(DemoToolSet):
    def resources(self, tenant_id, tool):
        return []


class _BadManifest(DemoToolSet):
    def manifest(self):
        return [{"name": "crm_lookup", "scope": "global", "access": "read", "resource": "crm"}]


class _EmptyManifest(DemoToolSet):
    def manifest(self):
        return []


class _CallCrashes(DemoToolSet):
    def call(self, tenant_id, tool, args):
        raise RuntimeError("agent runtime down")


@pytest.mark.parametrize("cls, verdict, cause", [
    (_NoResources, "error", "never exercised"),
    (_BadManifest, "error", "scope='global'"),
    (_EmptyManifest, "not_run", "lists no tools"),
    (_CallCrashes, "error", "RuntimeError: agent runtime down"),
])
def test_untestable_or_broken_tool_sets_never_pass(world, cls, verdict, cause):
    report = _audit(world, cls(world[1]))
    assert report.verdict == verdict, report.summary()
    assert cause in " ".join(report.errors) + report.not_run_reason


def test_empty_results_count_as_refusals():
    assert is_empty({}) and is_empty({"tickets": []}) and is_empty({"record": None, "count": 0})
    assert not is_empty({"ok": True}) and not is_empty({"tickets": [{"text": "x"}]})

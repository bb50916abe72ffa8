"""Memory/session isolation audit: a tenant-less cache key is caught, a correct store passes, broken stores error."""
import pytest

from tenantguard.demo.platform.memory import DemoSessionStore
from tenantguard.demo.world import build_world
from tenantguard.evaluations.segmentation.adapters import AdapterFailure, Guarded
from tenantguard.evaluations.segmentation.evidence import ForeignData
from tenantguard.evaluations.segmentation.memory import MemoryConfig, audit_memory

SECRET = b"memory-test-secret"


@pytest.fixture(scope="module")
def tenants():
    return build_world(4, seed=5, records_per_tenant=5).tenants


def _audit(tenants, make_obj, *, requesters=None, seed=0, timeout_s=5.0):
    def make():
        obj = make_obj()
        if obj is None:
            raise AdapterFailure("factory x:y returned None")
        return Guarded(obj, "memory", timeout_s=timeout_s)

    return audit_memory(make, tenants, requesters or [t.id for t in tenants], secret=SECRET,
                        foreign=ForeignData(None), config=MemoryConfig(seed=seed, run_id=f"r{seed}", fill_writes=20),
                        adapter="memory=test")


@pytest.mark.parametrize("seed", [0, 1])
def test_tenant_keyed_store_passes(tmp_path, tenants, seed):
    report = _audit(tenants, lambda: DemoSessionStore(tmp_path / "m.db", tenant_in_cache_key=True), seed=seed)
    assert report.verdict == "passed", (report.findings[:2], report.errors)
    assert report.calls > 100 and not report.notes


def test_tenantless_cache_key_leaks_recent_sessions_and_is_caught(tmp_path, tenants):
    report = _audit(tenants, lambda: DemoSessionStore(tmp_path / "m.db", tenant_in_cache_key=False))
    assert report.verdict == "failed"
    probes = {f.probe for f in report.findings}
    assert any("same session id (live)" in p for p in probes)
    assert any("recent session" in p for p in probes)
    assert any("after re-creating the store" in p for p in probes)  # the shared cache outlives the object
    assert not any("old session" in p for p in probes)  # evicted from the cache, the database filters by tenant
    assert all("canary" in f.evidence and "[masked " in f.evidence for f in report.findings)


class _Forgets:
    def write(self, tenant_id, session_id, text):
        pass

    def read(self, tenant_id, session_id):
        return []

    def search(self, tenant_id, query, k):
        return []


class _ReadsStr(_Forgets):
    def read(self, tenant_id, session_id):
        return "history"


class _Raises(_Forgets):
    def write(self, tenant_id, session_id, text):
        raise OSError("disk full")


def test_a_store_that_keeps_nothing_is_an_error_not_a_pass(tenants):
    report = _audit(tenants, _Forgets)
    assert report.verdict == "error"
    assert any("read() never returned" in e for e in report.errors)
    assert any("search() never returned" in e for e in report.errors)


@pytest.mark.parametrize("make, cause", [(_ReadsStr, "returned str, expected list[str]"),
                                         (_Raises, "OSError: disk full"),
                                         (lambda: None, "returned None")])
def test_broken_stores_are_errors_with_the_cause(tenants, make, cause):
    report = _audit(tenants, make, requesters=[tenants[0].id])
    assert report.verdict == "error" and any(cause in e for e in report.errors), report.errors


def test_single_tenant_platform_is_not_run(tmp_path, tenants):
    report = _audit(tenants[:1], lambda: DemoSessionStore(tmp_path / "m.db"))
    assert report.verdict == "not_run" and "only one tenant" in report.not_run_reason

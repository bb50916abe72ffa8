"""The demo session store: the tenant-keyed cache keeps sessions apart, the tenant-less one leaks through the cache."""
import pytest

from tenantguard.demo.platform.memory import CACHE_CAPACITY, DemoSessionStore


@pytest.mark.parametrize("keyed, leaks", [(True, False), (False, True)])
def test_session_cache_key_with_and_without_tenant(tmp_path, keyed, leaks):
    store = DemoSessionStore(tmp_path / "m.db", tenant_in_cache_key=keyed)
    store.write("tenant-a", "s1", "a's secret history")
    assert (store.read("tenant-b", "s1") == ["a's secret history"]) is leaks
    again = DemoSessionStore(tmp_path / "m.db", tenant_in_cache_key=keyed)  # the cache outlives the object
    assert (again.read("tenant-b", "s1") == ["a's secret history"]) is leaks
    assert again.read("tenant-a", "s1") == ["a's secret history"]
    assert again.search("tenant-b", "secret history", 5) == []


def test_a_session_evicted_from_the_tenantless_cache_no_longer_leaks(tmp_path):
    store = DemoSessionStore(tmp_path / "m.db", tenant_in_cache_key=False)
    store.write("tenant-a", "old", "a's old history")
    for i in range(CACHE_CAPACITY):
        store.write("tenant-a", f"s{i}", f"turn {i}")
    assert store.read("tenant-b", "old") == []  # the database is queried per tenant
    assert store.read("tenant-a", "old") == ["a's old history"]


def test_history_is_kept_in_order_per_session(tmp_path):
    store = DemoSessionStore(tmp_path / "m.db")
    for text in ("first", "second", "third"):
        store.write("tenant-a", "s1", text)
    store.write("tenant-a", "s2", "other session")
    assert store.read("tenant-a", "s1") == ["first", "second", "third"]
    assert DemoSessionStore(tmp_path / "m.db").read("tenant-a", "s2") == ["other session"]


def test_search_ranks_the_tenants_texts_by_shared_words(tmp_path):
    store = DemoSessionStore(tmp_path / "m.db")
    store.write("tenant-a", "s1", "parcel left the depot")
    store.write("tenant-a", "s2", "the parcel left the depot on monday")
    store.write("tenant-a", "s3", "password reset")
    store.write("tenant-b", "s1", "parcel depot monday left")
    assert store.search("tenant-a", "parcel depot monday", 5) == ["the parcel left the depot on monday",
                                                                   "parcel left the depot"]
    assert store.search("tenant-a", "parcel", 1) == ["the parcel left the depot on monday"]  # ties: newest first


def test_auditing_the_tenantless_store_again_on_the_same_database_finds_the_same(tmp_path):
    """The second `make demo` found 54 findings where the first found 72: notes of earlier audits in the
    database were scanned before their owner's canaries were known and stayed "clean" for the run."""
    from tenantguard.demo.platform import memory
    from tenantguard.demo.world import build_world
    from tenantguard.evaluations.segmentation.adapters import Guarded
    from tenantguard.evaluations.segmentation.evidence import ForeignData
    from tenantguard.evaluations.segmentation.memory import MemoryConfig, audit_memory

    tenants = build_world(6, seed=5, records_per_tenant=5).tenants

    def make() -> Guarded:
        return Guarded(DemoSessionStore(tmp_path / "m.db", tenant_in_cache_key=False), "memory")

    def audit(run_id: str):
        memory._CACHES.clear()  # a new process: the demo's cache service starts empty, the database stays
        report = audit_memory(make, tenants, [t.id for t in tenants], secret=b"s", foreign=ForeignData(None),
                              config=MemoryConfig(seed=7, run_id=run_id))
        return report.verdict, sorted((f.requester, f.source_tenant, f.probe) for f in report.findings)

    first = audit("run-1")
    assert first[0] == "failed" and len(first[1]) == 72
    assert audit("run-2") == first  # the database now holds run-1's notes of every tenant

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

"""The segmentation.yaml factories: each builds its variant over the documents of the home in the environment."""
import os

from conftest import write_small_world
from tenantguard.config import Settings
from tenantguard.demo.platform import VARIANTS, factories
from tenantguard.demo.platform.documents import documents_from_home
from tenantguard.tenants import dump_tenants, load_tenants


def test_every_variant_names_factories_that_exist():
    named = {fn for variant in VARIANTS.values() for fn in variant.values()}
    assert named <= {n for n in dir(factories) if n.startswith("make_")}
    assert all(callable(getattr(factories, fn)) for fn in named)


def test_each_factory_builds_the_variant_its_name_says(small_world):
    settings, _ = small_world
    assert [f().mode for f in (factories.make_prefilter_retriever, factories.make_postfilter_retriever,
                               factories.make_prompt_filter_retriever)] == ["prefilter", "postfilter", "prompt"]
    correct, tenantless = factories.make_memory(), factories.make_tenantless_cache_memory()
    assert (correct.tenant_in_cache_key, tenantless.tenant_in_cache_key) == (True, False)
    assert correct.path == tenantless.path == settings.home / "demo-platform" / "memory.db"
    assert (factories.make_scoped_tools().shared_ticket_tool, factories.make_shared_scope_tools().shared_ticket_tool) \
        == (False, True)


def test_documents_are_the_homes_and_reread_when_tenants_yaml_changes(small_world):
    settings, _ = small_world
    docs = factories.documents()
    assert docs == documents_from_home(settings.home) and factories.documents() is docs  # cached
    tenants = load_tenants(settings.tenants_file)
    dump_tenants(tenants[:2], settings.tenants_file)
    st = settings.tenants_file.stat()
    os.utime(settings.tenants_file, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))  # a later edit, whatever the clock
    fresh = factories.documents()
    assert list(fresh) == [t.id for t in tenants[:2]] and fresh[tenants[1].id] == []  # now the last tenant


def test_a_factory_follows_the_home_of_the_environment(small_world, tmp_path, monkeypatch):
    _, old = small_world
    factories.documents()
    monkeypatch.setenv("TENANTGUARD_HOME", str(tmp_path / "other"))
    new = write_small_world(Settings.from_env(), n_tenants=2, seed=5)
    tid = new.tenants[0].id
    texts = {d["text"] for d in factories.make_prefilter_retriever().retrieve(tid, "my order", 50)}
    assert texts and texts <= {f"{r['prompt']}\n{r['completion']}" for r in new.datasets[tid]}
    assert not texts & {f"{r['prompt']}\n{r['completion']}" for r in old.datasets[tid]}

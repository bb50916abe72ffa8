"""The demo's world writer (once, in the contract layout) and its summary table."""
import pytest

from tenantguard.config import Settings
from tenantguard.demo.run import (DATASET_VERSION, check_tenant_count, format_table, summary_rows, world_line,
                                  write_world)
from tenantguard.errors import ConfigError
from tenantguard.demo.world import build_world
from tenantguard.home.corpora import read_base_corpus
from tenantguard.home.datasets import newest_versions, raw_records
from tenantguard.tenants import load_tenants


def _snapshot(home):
    return {p.relative_to(home): (p.read_bytes(), p.stat().st_mtime_ns) for p in home.rglob("*") if p.is_file()}


def test_the_world_is_written_in_the_contract_layout(tg_home):
    settings = Settings.from_env()
    assert write_world(settings, n_tenants=3, seed=5) is True
    world = build_world(3, seed=5)
    assert load_tenants(settings.tenants_file) == world.tenants
    ids = [t.id for t in world.tenants]
    assert newest_versions(settings, ids) == {tid: f"{DATASET_VERSION}.jsonl" for tid in ids}
    assert sorted(p.name for p in settings.datasets_root.iterdir()) == sorted(ids)
    assert all(raw_records(settings, tid) == world.datasets[tid] for tid in ids)
    assert read_base_corpus(settings) == world.base_corpus


def test_writing_the_world_again_changes_nothing_even_with_other_arguments(tg_home):
    settings = Settings.from_env()
    write_world(settings, n_tenants=3, seed=5)
    before = _snapshot(tg_home)
    assert write_world(settings, n_tenants=3, seed=5) is False
    assert write_world(settings, n_tenants=4, seed=6) is False
    assert _snapshot(tg_home) == before


@pytest.mark.slow  # a Great Expectations suite and a fresh MLflow store
def test_summary_rows_show_a_dash_for_what_is_not_there_yet(tg_home):
    from tenantguard.home.prepare import prepare_dataset

    settings = Settings.from_env({"TENANTGUARD_HOME": str(tg_home), "TENANTGUARD_SECRET": "run-test-a40b63443b8a90ba646d536839d6f99da07651ddf64e16b63c2fee6aa2959613"})
    write_world(settings, n_tenants=2, seed=5)
    first, second = load_tenants(settings.tenants_file)
    prepared = prepare_dataset(settings, first)
    rows = summary_rows(settings, [first, second])
    assert [r["tenant"] for r in rows] == [first.id, second.id]
    assert rows[0] | {"digest": "?"} == {
        "tenant": first.id, "dataset": DATASET_VERSION, "digest": "?", "kept": prepared.kept, "quarantined": 0,
        "model": f"support-assistant.{first.id}", "champion": "-", "newest": "-", "status": "-",
        "isolation": "-", "behavior": "-", "kill switches": "-"}
    assert rows[0]["digest"] == prepared.digest and prepared.kept == 300
    assert (rows[1]["dataset"], rows[1]["digest"], rows[1]["kept"]) == ("-", "-", 0)


def test_the_table_aligns_every_column_to_its_widest_cell():
    rows = [{"tenant": "acme", "status": "promoted"}, {"tenant": "borealis-bank", "status": "-"}]
    assert format_table(rows).splitlines() == [
        "tenant         status  ",
        "-------------  --------",
        "acme           promoted",
        "borealis-bank  -       "]
    assert format_table([]) == "(no tenants)"


def test_a_world_of_one_tenant_is_refused_before_anything_is_written(tg_home):
    settings = Settings.from_env()
    with pytest.raises(ConfigError, match=r"^--tenants 1: the demo needs at least 2 tenants \(isolation checks"):
        check_tenant_count(settings, 1)
    check_tenant_count(settings, 2)
    check_tenant_count(settings, None)  # the default world
    assert not tg_home.exists()


def test_an_existing_world_decides_not_the_flag(tg_home):
    from tenantguard.tenants import dump_tenants, load_tenants

    settings = Settings.from_env()
    write_world(settings, n_tenants=2, seed=5)
    check_tenant_count(settings, 1)  # the home's two tenants are what runs
    dump_tenants(load_tenants(settings.tenants_file)[:1], settings.tenants_file)
    with pytest.raises(ConfigError, match=f"^{settings.tenants_file}: 1 tenant; the demo needs at least 2"):
        check_tenant_count(settings, None)


def test_the_home_line_says_which_world_and_which_flags_do_not_apply_to_it():
    assert world_line(True, 6, 7, None, None) == "new synthetic world: 6 tenants, seed 7"
    assert world_line(False, 6, 7, None, None) == "existing world reused: 6 tenants, seed 7"
    assert world_line(False, 6, 7, 6, 7) == "existing world reused: 6 tenants, seed 7"
    assert world_line(False, 6, 7, 3, 9) == ("existing world reused: 6 tenants, seed 7; --tenants 3 and --seed 9 "
                                             "shape a new world only: point TENANTGUARD_HOME at an empty directory")


def test_the_kill_switch_column_names_a_killed_feature_and_blocked_keys_but_not_other_tenants_keys():
    from tenantguard.demo.run import switches_in_force
    from tenantguard.killswitch.scope import Scope
    from tenantguard.killswitch.switch import Fallback, Switch, utcnow
    from tenantguard.tenants import Tenant

    def sw(i, **scope):
        return Switch(id=i, scope=Scope(**scope), state="engaged", mode="enforce", fallback=Fallback(), reason="r",
                      incident_id=None, actor="a", updated_at=utcnow())

    acme = Tenant("acme", "Acme", "eu-west", ("chat",), "p")
    switches = [sw(1, feature="chat", tenant="acme", api_key="k1"), sw(2, feature="chat", tenant="acme", api_key="k2"),
                sw(3, feature="chat", tenant="globex", api_key="k3"), sw(4, region="eu-west")]
    assert switches_in_force(switches, acme, "chat") == "feature killed #4; 2 keys blocked #1, #2"
    assert switches_in_force(switches[:3], acme, "search") == "-"

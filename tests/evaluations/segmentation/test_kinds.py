"""The one table of audit kinds, and a plug-in kind added from a test module (tests/plugins/audit_kind_cache.py)
through TENANTGUARD_AUDIT_KINDS that runs end to end: `tenantguard segmentation audit` and run_from_home."""
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tenantguard.config import Settings
from tenantguard.errors import ConfigError
from tenantguard.evaluations.segmentation import report as R
from tenantguard.evaluations.segmentation.kinds import BUILTIN, AuditKind, registered, select

PLUGINS = Path(__file__).resolve().parents[2] / "plugins"
BUILTIN_NAMES = ["rag_boundary", "memory_isolation", "tool_scope", "context_contamination"]


def _stub(run):
    return R.not_run(run.kind, "stub")


def test_the_builtin_table_holds_the_four_kinds_with_their_adapter_keys():
    assert [(k.name, k.adapter) for k in BUILTIN] == [
        ("rag_boundary", "retriever"), ("memory_isolation", "memory"), ("tool_scope", "tools"),
        ("context_contamination", None)]
    assert all(k.description and k.default_action == "alert" for k in BUILTIN)


@pytest.mark.parametrize("fields, message", [
    ({"name": "Cache-Isolation"}, "name must match"),
    ({"adapter": "policy"}, "adapter key must match"),
    ({"adapter": "Cache Store"}, "adapter key must match"),
    ({"default_action": "page"}, "default_action"),
    ({"description": " "}, "description"),
    ({"run": "audit_cache"}, "run must be"),
])
def test_a_kind_entry_that_would_break_a_check_a_flag_or_the_yaml_is_rejected(fields, message):
    with pytest.raises(ValueError, match=message):
        AuditKind(**{"name": "cache_isolation", "description": "d", "run": _stub, "adapter": "cache", **fields})


def test_select_keeps_table_order_and_names_the_unknown_kind():
    assert [k.name for k in select(BUILTIN, ["tool_scope", "rag_boundary"])] == ["rag_boundary", "tool_scope"]
    assert select(BUILTIN) == BUILTIN
    with pytest.raises(ConfigError, match=r"\['rag'\]; registered: \['rag_boundary'"):
        select(BUILTIN, ["rag"])


@pytest.fixture
def plugin_path(monkeypatch):
    monkeypatch.syspath_prepend(str(PLUGINS))


def test_a_plug_in_kind_is_registered_after_the_builtins(plugin_path):
    table = registered(["audit_kind_cache:make_kind"])
    assert table[:4] == BUILTIN and [k.name for k in table[4:]] == ["cache_isolation"]
    assert table[4].adapter == "cache"


@pytest.mark.parametrize("refs, message", [
    (["audit_kind_cache:make_not_a_kind"], "returned object; its factory must return an AuditKind"),
    (["audit_kind_cache:make_kind", "audit_kind_cache:make_kind"], "'cache_isolation' is registered twice"),
    (["audit_kind_cache:no_such_factory"], "TENANTGUARD_AUDIT_KINDS"),
])
def test_a_bad_plug_in_is_a_one_line_config_error(plugin_path, refs, message):
    with pytest.raises(ConfigError, match=message) as exc:
        registered(refs)
    assert "\n" not in str(exc.value)


@pytest.fixture
def cache_home(small_world, plugin_path, monkeypatch):
    """The small world with the cache kind registered by setting; `platform(cache)` names the cache adapter."""
    settings, world = small_world
    monkeypatch.setenv("TENANTGUARD_AUDIT_KINDS", "audit_kind_cache:make_kind")

    def platform(cache: str) -> None:
        (settings.home / "segmentation.yaml").write_text(f"cache: audit_kind_cache:make_{cache}_cache\n")

    return Settings.from_env(), world, platform


def _cli(*args):
    from tenantguard.cli.segmentation import segmentation

    return CliRunner().invoke(segmentation, [*args])


def test_the_cli_runs_a_plug_in_kind_and_exits_1_on_a_shared_cache(cache_home):
    _, world, platform = cache_home
    platform("shared")
    res = _cli("audit", "--seed", "3", "--tenant", world.tenants[0].id, "--kind", "cache_isolation")
    assert res.exit_code == 1, res.output
    assert "FAIL" in res.output and "cache_isolation failed" in res.output
    assert not any(name in res.output for name in BUILTIN_NAMES)  # only the selected kind ran


def test_the_cli_passes_a_tenant_keyed_cache_and_lists_the_kind(cache_home):
    _, world, platform = cache_home
    platform("tenant")
    res = _cli("audit", "--seed", "3", "--json")
    data = json.loads(res.output)
    assert res.exit_code == 0, res.output
    assert [r["kind"] for r in data["reports"]] == [*BUILTIN_NAMES, "cache_isolation"]
    assert data["reports"][-1]["verdict"] == "passed" and data["reports"][-1]["adapters"] == \
        ["cache=audit_kind_cache:make_tenant_cache"]
    listing = _cli("kinds")
    assert listing.exit_code == 0 and "cache_isolation" in listing.output and "cache " in listing.output


def test_without_its_adapter_in_segmentation_yaml_the_plug_in_kind_is_not_run(cache_home):
    res = _cli("audit", "--seed", "3", "--kind", "cache_isolation", "--require-all")
    assert res.exit_code == 2 and "no 'cache' factory" in res.stderr


def test_an_unknown_kind_exits_2_naming_the_flag(cache_home):
    res = _cli("audit", "--kind", "cache_isolatoin")
    assert res.exit_code == 2 and "--kind cache_isolatoin" in res.stderr and "cache_isolation" in res.stderr


def test_run_from_home_reports_the_plug_in_kind_with_masked_evidence(cache_home):
    from tenantguard.evaluations.segmentation.evidence import segmentation_canaries
    from tenantguard.gates.segmentation import run_from_home

    settings, world, platform = cache_home
    platform("shared")
    first, last = world.tenants[0].id, world.tenants[-1].id
    report = run_from_home(settings, tenant=first, kinds=["cache_isolation"], seed=3)[0]
    assert report.kind == "cache_isolation" and report.verdict == "failed"
    assert report.source_tenants == [last]  # the last put wins in a cache keyed by prompt alone
    digits = segmentation_canaries(settings.secret(), last, "cache", k=1)[0].secret_digits
    assert digits not in report.to_json()
    everything = run_from_home(settings, seed=3)
    assert [r.kind for r in everything] == [*BUILTIN_NAMES, "cache_isolation"]

"""segmentation.yaml loading: one-line errors naming key and module, and validation against the kind table."""
import pytest

from tenantguard.errors import ConfigError
from tenantguard.evaluations.segmentation import report as R
from tenantguard.evaluations.segmentation.config_file import MIN_RAG_PROBES, load_config
from tenantguard.evaluations.segmentation.kinds import BUILTIN, AuditKind
from tenantguard.evaluations.segmentation.rag_plan import RagConfig


def _write(tmp_path, text):
    p = tmp_path / "segmentation.yaml"
    p.write_text(text)
    return p


def test_missing_file_configures_nothing(tmp_path):
    cfg = load_config(tmp_path / "segmentation.yaml")
    assert cfg.path is None and not cfg.factories
    assert set(cfg.policy.values()) == {"alert"}


def test_factory_module_that_does_not_import_is_a_one_line_error_naming_key_and_module(tmp_path):
    p = _write(tmp_path, "retriever: no_such_platform.adapters:make_retriever\n")
    with pytest.raises(ConfigError) as exc:
        load_config(p)
    msg = str(exc.value)
    assert "'retriever'" in msg and "no_such_platform.adapters" in msg and str(p) in msg
    assert "\n" not in msg


def test_module_raising_at_import_and_missing_attribute_are_config_errors(tmp_path):
    pkg = tmp_path / "plat"
    pkg.mkdir()
    (pkg / "segplat_broken.py").write_text("raise RuntimeError('db url missing')\n")
    (pkg / "segplat_ok.py").write_text("def make():\n    return object()\n")
    p = _write(tmp_path, "python_path: [plat]\nmemory: segplat_broken:make\n")
    with pytest.raises(ConfigError, match="'memory'.*segplat_broken.*db url missing"):
        load_config(p)
    p = _write(tmp_path, "python_path: [plat]\ntools: segplat_ok:nope\n")
    with pytest.raises(ConfigError, match="'tools'.*has no attribute 'nope'"):
        load_config(p)
    p = _write(tmp_path, "python_path: [plat]\ntools: segplat_ok:make\n")
    assert load_config(p).factory("tools").label == "tools=segplat_ok:make"


@pytest.mark.parametrize("text, field", [
    ("retriever: just_a_module\n", "'retriever' must be 'module:function'"),
    ("retreiver: a:b\n", "unknown key"),
    ("timeout_s: 0\n", "'timeout_s'"),
    (f"rag_probes: {MIN_RAG_PROBES - 1}\n", "'rag_probes'"),
    ("policy: {rag_boundary: shutdown}\n", "policy entry"),
    ("python_path: [does-not-exist]\n", "'python_path'"),
    ("retriever: [a\n", "not valid YAML"),
])
def test_bad_config_names_the_field(tmp_path, text, field):
    with pytest.raises(ConfigError, match=field):
        load_config(_write(tmp_path, text))


def test_the_smallest_accepted_rag_budget_is_one_the_audit_runs_with(tmp_path):
    probes = load_config(_write(tmp_path, f"rag_probes: {MIN_RAG_PROBES}\n")).rag_probes
    RagConfig(probes=probes).validate()
    with pytest.raises(ValueError):
        RagConfig(probes=probes - 1).validate()


def test_policy_maps_kinds_to_actions(tmp_path):
    cfg = load_config(_write(tmp_path, "policy: {rag_boundary: kill_switch}\n"))
    assert cfg.policy["rag_boundary"] == "kill_switch" and cfg.policy["tool_scope"] == "alert"



def _cache_kind(default_action="alert"):
    return AuditKind("cache_isolation", adapter="cache", default_action=default_action,
                     description="no cached answer of another tenant", run=lambda run: R.not_run(run.kind, "stub"))


def test_a_plug_in_kind_adds_its_adapter_key_and_its_policy_entry(tmp_path):
    pkg = tmp_path / "plat"
    pkg.mkdir()
    (pkg / "segplat_cache.py").write_text("def make():\n    return object()\n")
    text = "python_path: [plat]\ncache: segplat_cache:make\npolicy: {cache_isolation: alert}\n"
    with pytest.raises(ConfigError, match="unknown key.*'cache'"):  # the built-in table knows no 'cache' adapter
        load_config(_write(tmp_path, text))
    cfg = load_config(_write(tmp_path, text), kinds=(*BUILTIN, _cache_kind()))
    assert cfg.factory("cache").label == "cache=segplat_cache:make"
    assert cfg.policy["cache_isolation"] == "alert" and cfg.policy["rag_boundary"] == "alert"


def test_a_kinds_default_action_applies_until_the_file_names_one(tmp_path):
    table = (*BUILTIN, _cache_kind("kill_switch"))
    assert load_config(tmp_path / "missing.yaml", kinds=table).policy["cache_isolation"] == "kill_switch"
    cfg = load_config(_write(tmp_path, "policy: {cache_isolation: alert}\n"), kinds=table)
    assert cfg.policy["cache_isolation"] == "alert"

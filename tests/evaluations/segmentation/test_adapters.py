"""segmentation.yaml loading (one-line errors naming key and module) and the per-call timeout guard."""
import threading
import time

import pytest

from tenantguard.errors import ConfigError
from tenantguard.evaluations.segmentation.adapters import (
    MIN_RAG_PROBES,
    AdapterFailure,
    Guarded,
    instantiate,
    load_config,
)
from tenantguard.evaluations.segmentation.rag import RagConfig


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


def test_minimum_rag_budget_matches_the_audit():
    assert MIN_RAG_PROBES == RagConfig().fixed + 1


def test_policy_maps_kinds_to_actions(tmp_path):
    cfg = load_config(_write(tmp_path, "policy: {rag_boundary: kill_switch}\n"))
    assert cfg.policy["rag_boundary"] == "kill_switch" and cfg.policy["tool_scope"] == "alert"


class _Slow:
    def __init__(self):
        self.release = threading.Event()

    def hang(self):
        self.release.wait(5)
        return "late"

    def quick(self):
        return "ok"

    def deny(self):
        raise PermissionError("no")

    def boom(self):
        raise KeyError("tenant_id")


def test_a_hung_call_times_out_and_the_next_call_still_works():
    obj = _Slow()
    g = Guarded(obj, "retriever", timeout_s=0.2)
    with pytest.raises(AdapterFailure, match=r"retriever.hang\(\) timed out after 0.2s"):
        g.call("hang")
    assert g.call("quick") == "ok"
    obj.release.set()
    assert g.calls == 2


def test_refusals_pass_through_and_other_exceptions_become_failures():
    g = Guarded(_Slow(), "tools", timeout_s=2)
    with pytest.raises(PermissionError):
        g.call("deny")
    with pytest.raises(AdapterFailure, match="KeyError"):
        g.call("boom")
    with pytest.raises(AdapterFailure, match="has no method missing"):
        g.call("missing")


def test_a_factory_that_hangs_raises_or_returns_none_is_an_adapter_failure(tmp_path):
    from tenantguard.evaluations.segmentation.adapters import Factory

    with pytest.raises(AdapterFailure, match="timed out"):
        instantiate(Factory("retriever", "x:hang", lambda: time.sleep(3)), timeout_s=0.2)
    with pytest.raises(AdapterFailure, match="returned None"):
        instantiate(Factory("retriever", "x:none", lambda: None), timeout_s=1)
    with pytest.raises(AdapterFailure, match="ConnectionError"):
        instantiate(Factory("memory", "x:down", lambda: (_ for _ in ()).throw(ConnectionError("down"))), timeout_s=1)

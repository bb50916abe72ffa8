"""Plug-ins from entry points of an installed distribution and from `module:function` settings; every failure
is one ConfigError line that names where the reference came from."""
import sys
import textwrap
import uuid

import pytest

from tenantguard.errors import ConfigError
from tenantguard.plugins import GROUPS, discover, is_reference, load_reference


@pytest.fixture
def plugin_dir(tmp_path, monkeypatch):
    """A directory on sys.path; `write(source)` adds a uniquely named module and returns its name."""
    created = []

    def write(source: str) -> str:
        name = f"tg_plugin_{uuid.uuid4().hex[:10]}"
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(source))
        created.append(name)
        return name

    monkeypatch.syspath_prepend(str(tmp_path))
    write.path = tmp_path
    yield write
    for name in created:
        sys.modules.pop(name, None)


def install_distribution(root, group: str, entries: dict[str, str]) -> None:
    """What `pip install` leaves behind: a dist-info with METADATA and entry_points.txt on sys.path."""
    dist = root / f"tg_test_plugins_{uuid.uuid4().hex[:8]}-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist.name.split('-')[0]}\nVersion: 1.0\n")
    lines = "".join(f"{name} = {ref}\n" for name, ref in entries.items())
    (dist / "entry_points.txt").write_text(f"[{group}]\n{lines}")


def one_line(exc: ConfigError) -> str:
    message = str(exc)
    assert "\n" not in message and "Traceback" not in message
    return message


@pytest.mark.parametrize("ref", ["pkg:make", "pkg.sub_mod:make_it", "_p:_f"])
def test_module_function_references_are_recognized(ref):
    assert is_reference(ref)


@pytest.mark.parametrize("ref", ["pkg", "pkg:", ":make", "pkg:make()", "pkg.mod:a.b", "1pkg:make", "pkg :make",
                                 "ngram", ""])
def test_anything_else_is_not_a_reference(ref):
    assert not is_reference(ref)


def test_a_reference_is_imported_and_its_factory_called_once(plugin_dir):
    mod = plugin_dir("""
        CALLS = []
        def make():
            CALLS.append(1)
            return {"plugin": "ok"}
    """)
    assert load_reference(f"{mod}:make", where="TENANTGUARD_DETECTORS") == {"plugin": "ok"}
    assert sys.modules[mod].CALLS == [1]


def test_a_malformed_reference_names_where_and_shows_the_form(plugin_dir):
    with pytest.raises(ConfigError) as info:
        load_reference("my_pkg.plugins.make", where="TENANTGUARD_TUNER")
    message = one_line(info.value)
    assert message.startswith("TENANTGUARD_TUNER: ") and "'module:function'" in message


def test_a_missing_module_says_install_it(plugin_dir):
    with pytest.raises(ConfigError) as info:
        load_reference("tg_no_such_module_anywhere:make", where="TENANTGUARD_LOG_READERS")
    message = one_line(info.value)
    assert message.startswith("TENANTGUARD_LOG_READERS: cannot import 'tg_no_such_module_anywhere'")
    assert "ModuleNotFoundError" in message and "install it" in message


def test_a_module_that_fails_to_import_is_reported_with_its_error(plugin_dir):
    mod = plugin_dir("""
        raise RuntimeError("plugin needs a licence file")
    """)
    with pytest.raises(ConfigError) as info:
        load_reference(f"{mod}:make", where="here")
    assert one_line(info.value) == (f"here: cannot import '{mod}' (RuntimeError: plugin needs a licence file); "
                                    f"install it or fix the module path")


@pytest.mark.parametrize("source", ['raise RuntimeError("first line\\nsecond line")',
                                    'def make():\n    raise RuntimeError("first line\\nsecond line")'],
                         ids=["import", "factory"])
def test_a_plugins_multi_line_error_is_still_one_line(plugin_dir, source):
    mod = plugin_dir(source)
    with pytest.raises(ConfigError) as info:
        load_reference(f"{mod}:make", where="here")
    assert "\n" not in str(info.value) and "first line" in str(info.value)


@pytest.mark.parametrize("body", ["", "make = 42"])
def test_a_missing_or_non_callable_factory_is_named(plugin_dir, body):
    mod = plugin_dir(body)
    with pytest.raises(ConfigError) as info:
        load_reference(f"{mod}:make", where="TENANTGUARD_AUDIT_KINDS item 'x'")
    assert one_line(info.value) == f"TENANTGUARD_AUDIT_KINDS item 'x': '{mod}' has no callable 'make'"


def test_a_factory_that_raises_is_reported_with_its_error(plugin_dir):
    mod = plugin_dir("""
        def make():
            raise ValueError("missing API key")
    """)
    with pytest.raises(ConfigError) as info:
        load_reference(f"{mod}:make", where="TENANTGUARD_DETECTORS")
    assert one_line(info.value) == f"TENANTGUARD_DETECTORS: {mod}:make() raised ValueError: missing API key"


def test_unknown_kind_is_a_programming_error_naming_the_kinds():
    with pytest.raises(ValueError, match="Expected kind in .*detectors.*got 'detector'"):
        discover("detector")


def test_every_kind_names_its_setting():
    assert set(GROUPS) == {"tuners", "detectors", "audit_kinds", "log_readers"}
    assert all(v.startswith("TENANTGUARD_") for v in GROUPS.values())


def test_nothing_installed_and_no_references_finds_nothing(plugin_dir):
    assert discover("log_readers") == []


def test_entry_points_load_sorted_by_name_then_the_settings_references_in_order(plugin_dir):
    mod = plugin_dir("""
        def zeta(): return "ep-zeta"
        def alpha(): return "ep-alpha"
        def one(): return "ref-one"
        def two(): return "ref-two"
    """)
    install_distribution(plugin_dir.path, "tenantguard.detectors", {"zz": f"{mod}:zeta", "aa": f"{mod}:alpha"})
    found = discover("detectors", [f"{mod}:two", f"{mod}:one"])
    assert found == ["ep-alpha", "ep-zeta", "ref-two", "ref-one"]
    assert discover("tuners") == []  # another kind's group is not this one's


def test_a_broken_entry_point_names_the_entry_point_and_its_group(plugin_dir):
    install_distribution(plugin_dir.path, "tenantguard.audit_kinds", {"broken": "tg_no_such_plugin_module:make"})
    with pytest.raises(ConfigError) as info:
        discover("audit_kinds")
    assert one_line(info.value).startswith("entry point 'broken' in group tenantguard.audit_kinds: cannot import")


def test_a_broken_setting_reference_names_the_variable_and_the_item(plugin_dir):
    with pytest.raises(ConfigError) as info:
        discover("log_readers", ["not-a-reference"])
    assert one_line(info.value).startswith("TENANTGUARD_LOG_READERS item 'not-a-reference': ")

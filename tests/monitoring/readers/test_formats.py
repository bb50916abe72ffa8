"""Log formats by name: built-ins, plug-ins by setting or entry point, `auto`; one-line errors."""
import io
import json
from pathlib import Path

import pytest

from tenantguard.config import Settings
from tenantguard.errors import ConfigError
from tenantguard.monitoring.readers import AUTO, LogRow, log_readers, reader_for
from tenantguard.monitoring.readers.native import NativeReader

PLUGINS = Path(__file__).resolve().parents[2] / "plugins"
JSONL = json.dumps({"ts": "2026-01-31T12:00:00Z", "tenant_id": "acme"}).encode() + b"\n"
KV = b"ts=2026-01-31T12:00:00Z tenant_id=acme\n"


@pytest.fixture
def settings_with(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(PLUGINS))
    return lambda *refs: Settings.from_env({"TENANTGUARD_LOG_READERS": ",".join(refs)}, home=tmp_path)


def test_the_built_ins_come_first_and_plug_ins_follow_in_setting_order(settings_with):
    assert list(log_readers(settings_with())) == ["native", "otlp", "openinference", "litellm", "langfuse"]
    readers = log_readers(settings_with("log_reader_kv:make_reader", "log_reader_faulty:greedy"))
    assert list(readers) == ["native", "otlp", "openinference", "litellm", "langfuse", "kv", "greedy"]
    assert isinstance(reader_for("native", settings_with()), NativeReader)
    assert reader_for("kv", settings_with("log_reader_kv:make_reader")).name == "kv"


def test_an_entry_point_adds_a_reader_without_a_setting(settings_with, tmp_path, monkeypatch):
    dist = tmp_path / "site" / "kv_plugin-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: kv-plugin\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[tenantguard.log_readers]\nkv = log_reader_kv:make_reader\n")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    assert list(log_readers(settings_with())) == ["native", "otlp", "openinference", "litellm", "langfuse", "kv"]


def test_an_unknown_name_is_one_line_listing_the_known_formats(settings_with):
    with pytest.raises(ConfigError) as exc:
        reader_for("xml", settings_with("log_reader_kv:make_reader"))
    assert str(exc.value).startswith("--format 'xml': unknown log format; known: auto, native, otlp, openinference, "
                                     "litellm, langfuse, kv (add one with "
                                     "TENANTGUARD_LOG_READERS=module:function")
    assert "\n" not in str(exc.value)


@pytest.mark.parametrize("factory, message", [
    ("taken_name", "log reader log_reader_faulty._Reader: the format name 'native' is taken"),
    ("named_auto", "log reader log_reader_faulty._Reader: name 'auto' must match"),
    ("no_read_method", "log reader log_reader_faulty.HalfReader: needs a name, a description, recognizes"),
])
def test_a_plug_in_that_breaks_the_rules_is_a_config_error_naming_it(settings_with, factory, message):
    with pytest.raises(ConfigError, match=message):
        log_readers(settings_with(f"log_reader_faulty:{factory}"))


def test_auto_reads_with_the_one_reader_that_recognizes_the_start(settings_with):
    auto = reader_for(AUTO, settings_with("log_reader_kv:make_reader"))
    assert auto.description == "a log file in one of the formats native, otlp, openinference, litellm, langfuse, kv"
    (kv_row,) = auto.read(io.BytesIO(KV))
    (jsonl_row,) = auto.read(io.BytesIO(JSONL))
    assert kv_row == LogRow(1, KV.strip(), {"ts": "2026-01-31T12:00:00Z", "tenant_id": "acme"})
    assert jsonl_row.row == json.loads(JSONL)
    assert list(auto.read(io.BytesIO(b"\n \n"))) == []  # empty in every format


def test_auto_refuses_to_guess_between_two_readers_that_both_claim_the_file(settings_with):
    auto = reader_for(AUTO, settings_with("log_reader_faulty:greedy"))
    with pytest.raises(ConfigError, match=r"^--format auto: the formats native, greedy all recognize the file's "
                                          r"start; pass --format NAME$"):
        list(auto.read(io.BytesIO(JSONL)))

"""The detector registry: built-ins in order, plug-ins from the setting and from entry points, every broken
plug-in one ConfigError line; a plug-in named in TENANTGUARD_DETECTORS runs end to end through the CLI."""
import json
import sys
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

from tenantguard.cli.main import cli
from tenantguard.config import Settings
from tenantguard.demo.traffic import generate_traffic
from tenantguard.errors import ConfigError
from tenantguard.monitoring.abuse.alerts import AlertStore
from tenantguard.monitoring.abuse.detectors import BUILTIN, default_policy, kinds, registered
from tenantguard.monitoring.abuse.policy import AbuseSettings
from tenantguard.monitoring.inference_log import InferenceLog
from tenantguard.tenants import Tenant, dump_tenants

PLUGINS = Path(__file__).resolve().parents[2] / "plugins"
MARKER_REF = "detector_marker:make_detector"


@pytest.fixture
def plugins(monkeypatch):
    """tests/plugins on sys.path; the plug-in modules are forgotten afterwards."""
    monkeypatch.syspath_prepend(str(PLUGINS))
    yield
    for name in ("detector_marker", "detector_faulty"):
        sys.modules.pop(name, None)


def one_line(exc: ConfigError) -> str:
    message = str(exc)
    assert "\n" not in message and "Traceback" not in message
    return message


def test_builtins_register_in_order_with_their_kinds_and_default_policy():
    assert registered() == BUILTIN
    assert kinds(BUILTIN) == ("injection_campaign", "model_extraction", "token_budget", "jailbreak_sweep")
    assert default_policy(BUILTIN) == {"injection_campaign": "alert", "model_extraction": "block_key",
                                       "token_budget": "block_key", "jailbreak_sweep": "alert",
                                       "jailbreak_sweep_succeeded": "rollback"}


def test_a_plugin_named_in_the_setting_follows_the_builtins(plugins):
    from detector_marker import MarkerDetector

    found = registered([MARKER_REF])
    assert found == (*BUILTIN, MarkerDetector)
    assert kinds(found)[-1] == "marker_string" and default_policy(found)["marker_string"] == "kill_switch"


def test_a_plugin_from_an_installed_distributions_entry_point_is_registered(plugins, tmp_path, monkeypatch):
    from detector_marker import MarkerDetector

    dist = tmp_path / f"tg_test_detectors_{uuid.uuid4().hex[:8]}-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist.name.split('-')[0]}\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(f"[tenantguard.detectors]\nmarker = {MARKER_REF}\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert registered() == (*BUILTIN, MarkerDetector)


@pytest.mark.parametrize(("ref", "says"), [
    ("detector_faulty:taken_kind",
     ("kind or policy key 'token_budget' is already registered by "
      "tenantguard.monitoring.abuse.token_budget:BudgetDetector")),
    ("detector_faulty:taken_policy_key",
     ("kind or policy key 'jailbreak_sweep_succeeded' is already registered by "
      "tenantguard.monitoring.abuse.jailbreak:JailbreakDetector")),
    ("detector_faulty:incomplete", "lacks update, alerts, policy_key"),
    ("detector_faulty:unknown_action", "default_actions {'marker_again': 'page_someone'} must map 'marker_again'"),
])
def test_a_broken_plugin_is_one_config_error_naming_it_and_the_fix(plugins, ref, says):
    with pytest.raises(ConfigError) as info:
        registered([ref])
    message = one_line(info.value)
    assert message.startswith("detector plug-in detector_faulty:_") and says in message
    assert "TENANTGUARD_DETECTORS" in message


def test_the_same_plugin_twice_is_a_duplicate_kind(plugins):
    with pytest.raises(ConfigError) as info:
        registered([MARKER_REF, MARKER_REF])
    assert "'marker_string' is already registered by detector_marker:MarkerDetector" in one_line(info.value)


def test_a_scanner_of_only_the_plugin_reports_one_alert_per_actor_with_its_default_action(plugins):
    from detector_marker import MARKER, MarkerDetector

    from tenantguard.monitoring.abuse.scanner import Scanner

    rows = [{"id": i, "ts": float(i), "tenant_id": f"tenant-{i % 2}", "api_key": f"k{i % 2}",
             "prompt": f"hello {MARKER}" if i % 3 == 0 else "hello"} for i in range(1, 13)]
    scanner = Scanner(AbuseSettings(detectors=(MarkerDetector,)))
    alerts = scanner.process(rows)
    assert [(a.tenant_id, a.member_ids, a.action) for a in alerts] == [
        ("tenant-1", (3, 9), "kill_switch"), ("tenant-0", (6, 12), "kill_switch")]
    assert all(MARKER not in e for a in alerts for e in a.evidence)


@pytest.fixture
def marked_log(tg_home, plugins):
    """Benign traffic of four tenants plus 3 requests of tenant-1 that carry the plug-in's marker."""
    from detector_marker import MARKER

    tg_home.mkdir(parents=True)
    prompts = {f"tenant-{i}": f"You are the support assistant of tenant {i}. Be concise." for i in range(4)}
    dump_tenants([Tenant(t, t, "eu-west", ("support-assistant",), p) for t, p in prompts.items()],
                 tg_home / "tenants.yaml")
    rows = generate_traffic(300, seed=3, campaigns=()).rows
    marked = [dict(rows[i], tenant_id="tenant-1", api_key="tenant-1-marked", prompt=f"{rows[i]['prompt']} {MARKER}")
              for i in (100, 150, 200)]
    for i, row in zip((100, 150, 200), marked):
        rows[i] = row
    InferenceLog(f"sqlite:///{tg_home / 'inference.db'}").append(rows)
    return [101, 151, 201]  # their log ids


def test_a_plugin_detector_runs_end_to_end_with_its_kind_in_the_policy(plugins, marked_log, monkeypatch):
    monkeypatch.setenv("TENANTGUARD_DETECTORS", MARKER_REF)
    runner = CliRunner()
    listed = runner.invoke(cli, ["abuse", "detectors", "--json"])
    assert listed.exit_code == 0, listed.output
    assert json.loads(listed.output)[-1] == {"kind": "marker_string", "detector": "detector_marker:MarkerDetector",
                                             "policy": {"marker_string": "kill_switch"}}
    assert AbuseSettings.from_settings(Settings.from_env()).policy["marker_string"] == "kill_switch"

    found = runner.invoke(cli, ["abuse", "scan", "--json"])
    assert found.exit_code == 1, found.output
    (alert,) = json.loads(found.output)  # the built-ins find nothing in benign traffic
    assert alert["kind"] == "marker_string" and alert["action"] == "kill_switch"  # its default action applied
    assert alert["tenant_id"] == "tenant-1" and alert["member_ids"] == marked_log
    (stored,) = AlertStore(Settings.from_env().inference_log_url).list()
    assert stored["alert_id"] == alert["alert_id"] and stored["action"] == "kill_switch"

    monkeypatch.setenv("TENANTGUARD_ABUSE_POLICY", "marker_string=alert")  # the policy overrides a plug-in's kind too
    (overridden,) = json.loads(runner.invoke(cli, ["abuse", "scan", "--json"]).output)
    assert overridden["alert_id"] == alert["alert_id"] and overridden["action"] == "alert"


def test_without_the_setting_the_plugin_does_not_run_and_its_policy_key_is_refused(plugins, marked_log, monkeypatch):
    runner = CliRunner()
    clean = runner.invoke(cli, ["abuse", "scan", "--json"])
    assert clean.exit_code == 0 and json.loads(clean.output) == []
    monkeypatch.setenv("TENANTGUARD_ABUSE_POLICY", "marker_string=alert")
    refused = runner.invoke(cli, ["abuse", "scan"])
    assert refused.exit_code == 2
    assert "TENANTGUARD_ABUSE_POLICY item 'marker_string=alert'" in refused.output


def test_a_broken_plugin_setting_fails_the_scan_with_one_line_and_exit_2(plugins, marked_log, monkeypatch):
    monkeypatch.setenv("TENANTGUARD_DETECTORS", "detector_faulty:taken_kind")
    result = CliRunner().invoke(cli, ["abuse", "scan"])
    assert result.exit_code == 2
    (line,) = result.output.strip().splitlines()
    assert line.startswith("error: detector plug-in detector_faulty:_TakenKind")


def test_a_plugin_emitting_another_kind_fails_the_scan_naming_it(plugins, marked_log, monkeypatch):
    monkeypatch.setenv("TENANTGUARD_DETECTORS", "detector_faulty:another_kinds_alerts")
    result = CliRunner().invoke(cli, ["abuse", "scan"])
    assert result.exit_code == 2
    (line,) = result.output.strip().splitlines()
    assert line.startswith("error: detector detector_faulty:_AnotherKindsAlerts emitted an alert of kind "
                           "'marker_string' with policy key 'marker_string'; expected kind 'marker_liar'")

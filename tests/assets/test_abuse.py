"""abuse_alerts materialized on a real Dagster instance from a real SQLite alerts table."""
import json

import pytest
from dagster import AssetCheckSeverity, materialize

from tenantguard.assets.abuse import abuse_alerts
from tenantguard.assets.resource import TenantGuardResource
from tenantguard.config import Settings
from tenantguard.monitoring.abuse.alerts import Alert, AlertStore
from tenantguard.monitoring.abuse.detectors import BUILTIN, kinds
from tenantguard.tenants import Tenant, dump_tenants

TENANTS = ("acme", "borealis")


@pytest.fixture
def home(tg_home, dagster_instance):
    settings = Settings.from_env()
    settings.ensure_home()
    dump_tenants([Tenant(t, t, "eu-west", ("support-assistant",), f"You are {t}'s assistant.") for t in TENANTS],
                 settings.tenants_file)
    dagster_instance.add_dynamic_partitions("tenants", list(TENANTS))
    return settings, dagster_instance, AlertStore(settings.inference_log_url)


def alert(kind, tenant="acme", *, key="acme-key-secretish-1234", first=10, last=20, action="alert", group="g"):
    return Alert(kind=kind, tenant_id=tenant, api_key=key, first_id=first, last_id=last, score=2.5, threshold=1.0,
                 summary=f"{kind} summary", group=group, member_ids=tuple(range(first, last + 1)),
                 evidence=("[masked text, len 70, id 0123456789ab]",), action=action, feature="support-assistant")


def run(instance, tenant="acme"):
    result = materialize([abuse_alerts], partition_key=tenant, instance=instance,
                         resources={"tenantguard": TenantGuardResource()}, raise_on_error=False)
    mats = result.asset_materializations_for_node("abuse_alerts")
    checks = result.get_asset_check_evaluations()
    return result, (mats[0].metadata if mats else None), (checks[0] if checks else None)


def test_no_alerts_passes_with_zeros_for_every_kind(home):
    _, instance, _ = home
    result, meta, check = run(instance)
    assert result.success and check.passed and check.partition == "acme"
    assert {meta[f"open_{k}"].value for k in kinds(BUILTIN)} == {0}
    assert meta["alerts_table"].value == "(no API-abuse alerts for this tenant)"


def test_alert_only_kinds_warn_and_kill_switch_kinds_error(home):
    _, instance, store = home
    store.record([alert("injection_campaign")])
    _, meta, check = run(instance)
    assert not check.passed and check.severity == AssetCheckSeverity.WARN
    assert meta["open_injection_campaign"].value == 1 and meta["max_score_injection_campaign"].value == 2.5

    store.record([alert("model_extraction", action="kill_switch", group="key:acme:x")])
    _, meta, check = run(instance)
    assert not check.passed and check.severity == AssetCheckSeverity.ERROR
    assert check.metadata["open_needing_action"].value == 1 and meta["open_alerts"].value == 2


def test_only_the_partitions_tenant_is_published_and_keys_are_masked(home):
    _, instance, store = home
    store.record([alert("token_budget", action="kill_switch"), alert("jailbreak_sweep", "borealis", key="bor-key")])
    _, meta, check = run(instance, "borealis")
    table = meta["alerts_table"].value
    assert "jailbreak_sweep" in table and "token_budget" not in table
    assert "bor-key" not in table and "[masked " in table
    _, meta, _ = run(instance, "acme")
    assert "acme-key-secretish-1234" not in json.dumps({k: str(v.value) for k, v in meta.items()})


def test_acknowledged_alert_closes_and_reopens_when_the_abuse_goes_on(home):
    from tenantguard.gates.acknowledge import acknowledge_alert
    from tenantguard.killswitch.auth import Actor
    from tenantguard.killswitch.store import KillSwitchStore

    settings, instance, store = home
    a = alert("model_extraction", action="kill_switch")
    store.record([a])
    store.acknowledge(a.alert_id, actor="intruder", reason="written past the CLI")  # not in the audit chain
    assert not run(instance)[2].passed
    acknowledge_alert(settings, KillSwitchStore.from_settings(settings), Actor("alice", "responder"), a.alert_id,
                      reason="key revoked at the gateway")
    _, meta, check = run(instance)
    assert check.passed and meta["alerts"].value == 1 and meta["open_alerts"].value == 0
    store.record([alert("model_extraction", action="kill_switch", last=40)])  # same finding, later rows
    _, _, check = run(instance)
    assert not check.passed and check.severity == AssetCheckSeverity.ERROR


def test_unknown_tenant_partition_fails_with_the_reason(home):
    _, instance, _ = home
    instance.add_dynamic_partitions("tenants", ["ghost"])
    result, meta, _ = run(instance, "ghost")
    assert not result.success and meta is None
    failure = [e for e in result.all_events if e.is_step_failure][0]
    assert "ghost" in failure.step_failure_data.error.message


def test_a_plugin_detectors_kind_gets_its_own_metadata(home, monkeypatch):
    from pathlib import Path

    _, instance, store = home
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[1] / "plugins"))
    monkeypatch.setenv("TENANTGUARD_DETECTORS", "detector_marker:make_detector")
    store.record([alert("marker_string", action="kill_switch")])
    _, meta, check = run(instance)
    assert meta["open_marker_string"].value == 1 and meta["max_score_marker_string"].value == 2.5
    assert meta["open_token_budget"].value == 0
    assert not check.passed and check.severity == AssetCheckSeverity.ERROR


def test_a_broken_detector_setting_fails_the_materialization_with_the_reason(home, monkeypatch):
    _, instance, _ = home
    monkeypatch.setenv("TENANTGUARD_DETECTORS", "tg_no_such_detector_module:make")
    result, meta, _ = run(instance)
    assert not result.success and meta is None
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert "TENANTGUARD_DETECTORS item 'tg_no_such_detector_module:make'" in failure.step_failure_data.error.message

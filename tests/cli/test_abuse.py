"""`tenantguard abuse scan|detectors|alerts|ack` through click's CliRunner: output and exit codes."""
import json

from tenantguard.config import Settings
from tenantguard.demo.traffic import generate_traffic
from tenantguard.monitoring.abuse.alerts import AlertStore
from tenantguard.monitoring.inference_log import InferenceLog
from tenantguard.tenants import Tenant, dump_tenants

from .helpers import assert_bad_input, bootstrap_tokens, ks_store, run

PROMPTS = {f"tenant-{i}": f"You are the support assistant of tenant {i}. Be concise." for i in range(4)}


def test_abuse_scan_cli_exit_codes(tg_home):
    tg_home.mkdir(parents=True)
    dump_tenants([Tenant(t, t, "eu-west", ("support-assistant",), p) for t, p in PROMPTS.items()],
                 tg_home / "tenants.yaml")
    log = InferenceLog(f"sqlite:///{tg_home / 'inference.db'}")
    log.append(generate_traffic(300, seed=3, campaigns=()).rows)
    clean = run("abuse", "scan")
    assert clean.exit_code == 0, clean.output
    assert "0 alert(s)" in clean.output
    log.append(generate_traffic(0, seed=4, campaigns=("token_budget",)).rows)
    found = run("abuse", "scan", "--since", "300", "--json")
    assert found.exit_code == 1, found.output
    (alert,) = json.loads(found.output)
    assert alert["kind"] == "token_budget" and alert["first_id"] > 300
    assert run("abuse", "scan", "--since", "-1").exit_code == 2


def test_abuse_alerts_and_ack_cli(tg_home):
    tg_home.mkdir(parents=True)
    tokens = bootstrap_tokens(tg_home)
    log = InferenceLog(Settings.from_env().inference_log_url)
    log.append(generate_traffic(0, seed=4, campaigns=("token_budget",)).rows)
    assert run("abuse", "scan").exit_code == 1
    listed = run("abuse", "alerts", "--open", "--json")
    assert listed.exit_code == 1, listed.output
    (record,) = json.loads(listed.output)
    acked = run("abuse", "ack", record["alert_id"], "--reason", "key revoked", token=tokens["responder"])
    assert acked.exit_code == 0, acked.output
    assert run("abuse", "alerts", "--open").exit_code == 0
    assert AlertStore(Settings.from_env().inference_log_url).list()[0]["acknowledged"]["actor"] == "rita"
    assert_bad_input(run("abuse", "ack", "nope", "--reason", "x", token=tokens["responder"]), "'nope'")


def test_an_ack_needs_a_responders_token_takes_its_actor_from_it_and_is_chained(tg_home):
    """Issue 15, finding 3: `abuse ack ID --reason x --actor intruder` needed no token and was not chained."""
    tg_home.mkdir(parents=True)
    tokens = bootstrap_tokens(tg_home)
    InferenceLog(Settings.from_env().inference_log_url).append(
        generate_traffic(0, seed=4, campaigns=("token_budget",)).rows)
    (alert,) = json.loads(run("abuse", "scan", "--json").output)
    assert run("abuse", "ack", alert["alert_id"], "--reason", "x", "--actor", "intruder").exit_code == 2  # no such flag
    assert_bad_input(run("abuse", "ack", alert["alert_id"], "--reason", "x"), "abuse.ack needs a token")
    assert_bad_input(run("abuse", "ack", alert["alert_id"], "--reason", "x", token=tokens["viewer"]),
                     "abuse.ack needs responder")
    assert run("abuse", "alerts", "--open").exit_code == 1  # still open: the check stays red
    assert run("abuse", "ack", alert["alert_id"], "--reason", "key revoked", token=tokens["responder"]).exit_code == 0
    store = ks_store(tg_home)
    [ack] = [e for e in store.audit.entries() if e.action == "abuse.ack"]
    assert (ack.actor, ack.role, ack.scope, ack.reason) == ("rita", "responder", {"alert_id": alert["alert_id"]},
                                                          "key revoked")
    assert store.audit.verify().ok


def test_abuse_detectors_lists_the_builtins_with_their_policy(tg_home, monkeypatch):
    monkeypatch.setenv("TENANTGUARD_ABUSE_POLICY", "jailbreak_sweep_succeeded=kill_switch")
    result = run("abuse", "detectors")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert [line.split()[0] for line in lines] == ["injection_campaign", "model_extraction", "token_budget",
                                                   "jailbreak_sweep"]
    assert "jailbreak_sweep=alert jailbreak_sweep_succeeded=kill_switch" in lines[-1]
    assert lines[-1].endswith("tenantguard.monitoring.abuse.jailbreak:JailbreakDetector")


def test_abuse_detectors_refuses_a_bad_policy_with_exit_2(tg_home, monkeypatch):
    monkeypatch.setenv("TENANTGUARD_ABUSE_POLICY", "token_budget=ignore")
    assert_bad_input(run("abuse", "detectors", "--json"), "TENANTGUARD_ABUSE_POLICY item 'token_budget=ignore'")


def test_abuse_scan_neither_lists_nor_fails_on_acknowledged_alerts(tg_home):
    tg_home.mkdir(parents=True)
    InferenceLog(Settings.from_env().inference_log_url).append(
        generate_traffic(0, seed=4, campaigns=("token_budget",)).rows)
    (alert,) = json.loads(run("abuse", "scan", "--json").output)
    assert run("abuse", "ack", alert["alert_id"], "--reason", "key revoked",
               token=bootstrap_tokens(tg_home)["responder"]).exit_code == 0
    again = run("abuse", "scan")  # the same rows, the same finding: acknowledged up to its last row
    assert again.exit_code == 0, again.output
    last = alert["last_id"]
    assert again.stdout.splitlines() == [f"scanned {last} rows (ids 1..{last}); 0 alert(s), 1 acknowledged not listed"]
    assert json.loads(run("abuse", "scan", "--json").output) == []
    listed = run("abuse", "alerts")  # `abuse alerts` still shows it, as acknowledged
    assert listed.exit_code == 0 and "acknowledged by rita" in listed.output

"""Abuse settings come from `Settings` (never from os.environ directly): the registered detectors, their
default actions overridden by TENANTGUARD_ABUSE_POLICY, and the cost model handed to the detectors."""
import pytest

from tenantguard.config import Settings
from tenantguard.demo.traffic import generate_traffic
from tenantguard.errors import ConfigError
from tenantguard.monitoring.abuse.detectors import BUILTIN, default_policy
from tenantguard.monitoring.abuse.policy import AbuseSettings, parse_policy
from tenantguard.monitoring.abuse.scanner import Scanner

PROMPTS = {f"tenant-{i}": f"You are the support assistant of tenant {i}. Be concise." for i in range(4)}


def settings(**env) -> Settings:
    return Settings.from_env({"TENANTGUARD_HOME": "/nonexistent/tg", **env})


def test_defaults_are_the_detectors_default_actions_and_costs():
    s = AbuseSettings.from_settings(settings())
    assert s.detectors == BUILTIN and s.policy == default_policy(BUILTIN) == AbuseSettings().policy
    assert (s.daily_budget_usd, s.usd_per_1k_tokens) == (50.0, 0.002)


def test_the_policy_setting_overrides_only_the_keys_it_names():
    raw = " token_budget=alert, jailbreak_sweep_succeeded=kill_switch "
    s = AbuseSettings.from_settings(settings(TENANTGUARD_ABUSE_POLICY=raw))
    assert s.policy == {**default_policy(BUILTIN), "token_budget": "alert", "jailbreak_sweep_succeeded": "kill_switch"}


def test_only_the_settings_object_is_read_not_the_process_environment(monkeypatch):
    monkeypatch.setenv("TENANTGUARD_ABUSE_POLICY", "token_budget=alert")
    monkeypatch.setenv("TENANTGUARD_ABUSE_DAILY_BUDGET_USD", "1")
    s = AbuseSettings.from_settings(settings())
    assert s.policy["token_budget"] == "block_key" and s.daily_budget_usd == 50.0


@pytest.mark.parametrize("item", ["token_budget=page", "tokens=alert", "token_budget", "=alert"])
def test_a_bad_policy_item_is_one_line_naming_the_setting_kinds_and_actions(item):
    with pytest.raises(ConfigError) as info:
        AbuseSettings.from_settings(settings(TENANTGUARD_ABUSE_POLICY=f"model_extraction=alert,{item}"))
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"TENANTGUARD_ABUSE_POLICY item {item!r}: expected <kind>=<action>")
    assert "'jailbreak_sweep_succeeded'" in message and "['alert', 'block_key', 'kill_switch', 'rollback']" in message


def test_parse_policy_accepts_exactly_the_given_keys():
    assert parse_policy("a=rollback,,b=alert", ["a", "b"]) == {"a": "rollback", "b": "alert"}
    assert parse_policy("", ["a"]) == {}
    with pytest.raises(ConfigError):
        parse_policy("c=alert", ["a", "b"])


def test_a_direct_construction_with_an_unknown_key_is_a_programming_error():
    with pytest.raises(ValueError, match="Expected policy keys in"):
        AbuseSettings(policy={"tokens": "alert"})


def test_the_cost_model_reaches_the_budget_detector():
    s = AbuseSettings.from_settings(settings(TENANTGUARD_ABUSE_DAILY_BUDGET_USD="7.5",
                                             TENANTGUARD_ABUSE_USD_PER_1K_TOKENS="0.01"))
    (budget,) = [d for d in Scanner(s).detectors if d.kind == "token_budget"]
    assert (budget.config.daily_budget_usd, budget.config.usd_per_1k_tokens) == (7.5, 0.01)


def test_a_succeeded_sweep_follows_its_own_policy_key():
    traffic = generate_traffic(800, seed=42, campaigns=("jailbreak_sweep",))
    for i, row in enumerate(traffic.rows):
        row["id"] = i + 1

    def sweep_action(policy: str) -> str:
        abuse = AbuseSettings.from_settings(settings(TENANTGUARD_ABUSE_POLICY=policy))
        alerts = Scanner(abuse, system_prompts=PROMPTS).process(traffic.rows)
        (a,) = [a for a in alerts if a.kind == "jailbreak_sweep"]
        assert a.stats["succeeded"]
        return a.action

    assert sweep_action("") == "rollback"
    assert sweep_action("jailbreak_sweep_succeeded=kill_switch") == "kill_switch"
    assert sweep_action("jailbreak_sweep=rollback,jailbreak_sweep_succeeded=alert") == "alert"

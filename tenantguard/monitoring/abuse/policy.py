"""Abuse settings and the policy that maps alert kinds to actions, expressed as data.

Actions are handed on by the sensor, not performed here (monitoring/ stays free of Dagster and of the
kill-switch store): `alert` records only; `kill_switch` asks to engage the switch for the alert's
(feature, tenant) scope and names the api_key so a gateway can revoke just that key; `rollback`
requests a rollback run for the tenant's champion (used for a jailbreak sweep that succeeded).
Env: TENANTGUARD_ABUSE_POLICY="model_extraction=kill_switch,token_budget=kill_switch",
TENANTGUARD_ABUSE_DAILY_BUDGET_USD, TENANTGUARD_ABUSE_USD_PER_1K_TOKENS.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Mapping

from tenantguard.errors import ConfigError
from tenantguard.monitoring.abuse.alerts import KINDS, Alert

ACTIONS = ("alert", "kill_switch", "rollback")
DEFAULT_POLICY = {"injection_campaign": "alert", "model_extraction": "kill_switch", "token_budget": "kill_switch",
                  "jailbreak_sweep": "alert", "jailbreak_sweep_succeeded": "rollback"}


@dataclass(frozen=True)
class AbuseSettings:
    policy: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_POLICY))
    daily_budget_usd: float = 50.0  # per API key
    usd_per_1k_tokens: float = 0.002
    lookback_rows: int = 50_000  # rows re-read before a cursor to rebuild detector state (restart-safe)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "AbuseSettings":
        env = os.environ if environ is None else environ
        policy = dict(DEFAULT_POLICY)
        raw = env.get("TENANTGUARD_ABUSE_POLICY", "")
        for item in filter(None, (p.strip() for p in raw.split(","))):
            kind, _, action = item.partition("=")
            if kind not in DEFAULT_POLICY or action not in ACTIONS:
                raise ConfigError(f"TENANTGUARD_ABUSE_POLICY item {item!r}: expected <kind>=<action> with kind in "
                                  f"{sorted(DEFAULT_POLICY)} and action in {list(ACTIONS)}")
            policy[kind] = action
        return cls(policy=policy, daily_budget_usd=_positive(env, "TENANTGUARD_ABUSE_DAILY_BUDGET_USD", 50.0),
                   usd_per_1k_tokens=_positive(env, "TENANTGUARD_ABUSE_USD_PER_1K_TOKENS", 0.002))


@dataclass(frozen=True)
class Action:
    """What the sensor should do about one alert; `kind` is alert | kill_switch | rollback."""

    kind: str
    alert_id: str
    tenant_id: str
    feature: str | None
    api_key: str | None
    reason: str

    def to_dict(self) -> dict:
        return {"kind": self.kind, "alert_id": self.alert_id, "tenant_id": self.tenant_id, "feature": self.feature,
                "api_key": self.api_key, "reason": self.reason,
                "scope": {"feature": self.feature, "tenant": self.tenant_id, "region": None}}


def action_for(alert: Alert, settings: AbuseSettings) -> Action:
    key = alert.kind
    if alert.kind == "jailbreak_sweep" and alert.stats.get("succeeded"):
        key = "jailbreak_sweep_succeeded"
    kind = settings.policy.get(key, "alert")
    reason = f"{alert.kind} on key {alert.api_key or '-'}: {alert.summary} (alert {alert.alert_id})"
    return Action(kind=kind, alert_id=alert.alert_id, tenant_id=alert.tenant_id, feature=alert.feature,
                  api_key=alert.api_key, reason=reason[:300])


def _positive(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r}: expected a positive number") from None
    if not value > 0:
        raise ConfigError(f"{name}={raw!r}: expected a positive number")
    return value


assert set(DEFAULT_POLICY) >= set(KINDS)

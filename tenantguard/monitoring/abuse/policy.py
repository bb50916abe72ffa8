"""Abuse settings: which detectors run, the policy that maps their alerts to actions, the cost model.

Actions are handed on by the sensor, not performed here (monitoring/ stays free of Dagster and of the
kill-switch store): `alert` records only; `block_key` asks to engage one switch per API key the alert names,
scoped (feature, tenant, api_key), so the abusive keys stop and the tenant's other users do not (the default
for one key's extraction or budget abuse); `kill_switch` asks for the alert's whole (feature, tenant) scope;
`rollback` requests a rollback run for the tenant's champion (used for a jailbreak sweep that succeeded:
the evidence is that the model itself misbehaves).
Each detector declares its policy keys and default actions; TENANTGUARD_ABUSE_POLICY overrides them,
e.g. "model_extraction=block_key,token_budget=alert".
"""
from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from tenantguard.config import Settings
from tenantguard.errors import ConfigError
from tenantguard.monitoring.abuse.detector import ACTIONS, Detector
from tenantguard.monitoring.abuse.detectors import BUILTIN, default_policy, registered


@dataclass(frozen=True)
class AbuseSettings:
    detectors: tuple[type[Detector], ...] = BUILTIN
    # Overrides of the detectors' default actions; after construction, every policy key with its action.
    policy: Mapping[str, str] = field(default_factory=dict)
    daily_budget_usd: float = 50.0  # per API key
    usd_per_1k_tokens: float = 0.002
    lookback_rows: int = 50_000  # rows re-read before a cursor to rebuild detector state (restart-safe)

    def __post_init__(self) -> None:
        defaults = default_policy(self.detectors)
        bad = {k: v for k, v in self.policy.items() if k not in defaults or v not in ACTIONS}
        if bad:
            raise ValueError(f"Expected policy keys in {sorted(defaults)} and actions in {list(ACTIONS)}, got {bad}")
        object.__setattr__(self, "policy", {**defaults, **self.policy})

    @classmethod
    def from_settings(cls, settings: Settings) -> AbuseSettings:
        """The registered detectors (built-ins and plug-ins) with TENANTGUARD_ABUSE_POLICY applied."""
        detectors = registered(settings.detectors)
        return cls(detectors=detectors, policy=parse_policy(settings.abuse_policy, default_policy(detectors)),
                   daily_budget_usd=settings.abuse_daily_budget_usd,
                   usd_per_1k_tokens=settings.abuse_usd_per_1k_tokens)


def parse_policy(raw: str, keys: Collection[str]) -> dict[str, str]:
    """`<key>=<action>,...` (TENANTGUARD_ABUSE_POLICY) with every key one of `keys`."""
    policy = {}
    for item in filter(None, (p.strip() for p in raw.split(","))):
        key, _, action = item.partition("=")
        if key not in keys or action not in ACTIONS:
            raise ConfigError(f"TENANTGUARD_ABUSE_POLICY item {item!r}: expected <kind>=<action> with kind in "
                              f"{sorted(keys)} and action in {list(ACTIONS)}")
        policy[key] = action
    return policy

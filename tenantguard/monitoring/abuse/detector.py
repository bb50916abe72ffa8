"""What an abuse detector is: the `Detector` protocol the scanner runs, and what a scan builds it with.

A detector is a class. Its class attributes describe it without building one (the registry, the
policy, the alerts asset and the CLI read them): `kind`, the one alert kind it emits, and
`default_actions`, the policy keys its alerts map to with their default actions (usually just
`{kind: action}`; a detector whose findings differ in severity adds keys, e.g. `jailbreak_sweep_succeeded`).
`for_scan(context)` builds a fresh instance for one scan; the scanner then calls `update` with each batch
of requests (in id order) and `alerts` for what it currently finds. A scan rebuilds state by replaying
the log's last rows through a new instance, so a detector keeps nothing outside itself and must be
bounded in memory. docs/extending/detectors.md walks through adding one.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar, Protocol

from tenantguard.monitoring.abuse.alerts import Alert
from tenantguard.monitoring.abuse.request import Request

# What a policy may ask the sensor to do about an alert: record it, block the alert's own API keys (a kill
# switch per (feature, tenant, api_key): the proportional first response to one key's abuse), engage the
# (feature, tenant) kill switch, or request a rollback of the tenant's champion (the model itself misbehaves).
ACTIONS = ("alert", "block_key", "kill_switch", "rollback")


@dataclass(frozen=True)
class ScanContext:
    """What one scan hands every detector it builds."""

    injection_threshold: float  # the injection scorer's calibrated threshold (`Request.injection` >= it: injection)
    daily_budget_usd: float = 50.0  # per API key (TENANTGUARD_ABUSE_DAILY_BUDGET_USD)
    usd_per_1k_tokens: float = 0.002  # TENANTGUARD_ABUSE_USD_PER_1K_TOKENS


class Detector(Protocol):
    kind: ClassVar[str]
    default_actions: ClassVar[Mapping[str, str]]
    # Whether it reads the prompt. Rows without one (content capture off) are not fed to it, and a scan
    # reports it "not run" on them, never "passed". A detector without the attribute is taken to need text.
    needs_text: ClassVar[bool]

    @classmethod
    def for_scan(cls, context: ScanContext) -> Detector:
        """A new instance with empty state for one scan."""

    def update(self, requests: list[Request]) -> None:
        """Fold one batch of requests (id order; `injection`, `payload`, `text` already set) into the state."""

    def alerts(self) -> list[Alert]:
        """Every finding the state currently holds, each an `Alert` of `kind` (evidence masked)."""

    def policy_key(self, alert: Alert) -> str:
        """The key of `default_actions` (and of TENANTGUARD_ABUSE_POLICY) that decides this alert's action."""


class DetectorBase:
    """The Detector defaults a detector may inherit: built without settings, every alert decided by its kind."""

    kind: ClassVar[str]
    default_actions: ClassVar[Mapping[str, str]]
    needs_text: ClassVar[bool] = True

    @classmethod
    def for_scan(cls, context: ScanContext):
        return cls()

    def policy_key(self, alert: Alert) -> str:
        return alert.kind

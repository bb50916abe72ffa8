"""The detectors a scan runs: the built-ins, then plug-ins (entry points and TENANTGUARD_DETECTORS).

Adding a built-in detector is a new module and one line in `BUILTIN`; a user's own detector is a
zero-argument factory returning its class, named by an entry point in group `tenantguard.detectors`
or as `module:function` in TENANTGUARD_DETECTORS (docs/extending/detectors.md). Alert kinds and the
default policy are read from the registered classes, so nothing else lists them.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from tenantguard.errors import ConfigError
from tenantguard.monitoring.abuse.campaigns import CampaignDetector
from tenantguard.monitoring.abuse.detector import ACTIONS, Detector
from tenantguard.monitoring.abuse.jailbreak import JailbreakDetector
from tenantguard.monitoring.abuse.model_extraction import ExtractionDetector
from tenantguard.monitoring.abuse.token_budget import BudgetDetector
from tenantguard.plugins import discover

# Run in this order; alerts of one batch are merged and sorted, so the order only fixes ties.
BUILTIN: tuple[type[Detector], ...] = (CampaignDetector, ExtractionDetector, BudgetDetector, JailbreakDetector)

KEY = re.compile(r"^[a-z][a-z0-9_]{1,31}$")  # kinds and policy keys; the alerts table's kind column holds 32
METHODS = ("for_scan", "update", "alerts", "policy_key")
WHERE = "TENANTGUARD_DETECTORS or entry-point group tenantguard.detectors"


def registered(refs: Sequence[str] = ()) -> tuple[type[Detector], ...]:
    """The built-ins, then the plug-ins of entry points and `refs` (Settings.detectors), each validated."""
    found = list(BUILTIN)
    for plugin in discover("detectors", refs):
        found.append(_validated(plugin, found))
    return tuple(found)


def kinds(detectors: Sequence[type[Detector]]) -> tuple[str, ...]:
    return tuple(d.kind for d in detectors)


def default_policy(detectors: Sequence[type[Detector]]) -> dict[str, str]:
    """Every policy key of `detectors` with its default action."""
    return {key: action for d in detectors for key, action in d.default_actions.items()}


def _validated(plugin: object, known: Sequence[type[Detector]]) -> type[Detector]:
    where = f"detector plug-in {_name(plugin)} ({WHERE})"
    missing = [m for m in METHODS if not callable(getattr(plugin, m, None))]
    if missing:
        raise ConfigError(f"{where}: lacks {', '.join(missing)}; its factory must return a detector class "
                          f"(docs/extending/detectors.md)")
    kind, actions = getattr(plugin, "kind", None), getattr(plugin, "default_actions", None)
    if not isinstance(kind, str) or not KEY.match(kind):
        raise ConfigError(f"{where}: kind {kind!r} must match {KEY.pattern}")
    if (not isinstance(actions, Mapping) or kind not in actions or not all(KEY.match(str(k)) for k in actions)
            or not set(actions.values()) <= set(ACTIONS)):
        raise ConfigError(f"{where}: default_actions {actions!r} must map {kind!r} (and any further policy keys "
                          f"matching {KEY.pattern}) to one of {list(ACTIONS)}")
    taken = {key: d for d in known for key in d.default_actions}
    clash = next((key for key in actions if key in taken), None)
    if clash is not None:
        raise ConfigError(f"{where}: kind or policy key {clash!r} is already registered by {_name(taken[clash])}; "
                          f"give the detector another kind")
    return plugin  # type: ignore[return-value]  # checked member by member above


def _name(obj: object) -> str:
    return f"{getattr(obj, '__module__', '?')}:{getattr(obj, '__qualname__', type(obj).__qualname__)}"

"""Jailbreak sweeps: one key or session cycling through many distinct jailbreak template families.

Families are recognized by structure (what the prompt does), not by an exact list of known prompts:
persona override, privileged "mode", fictional/hypothetical framing of a harmful ask, refusal
suppression, forced affirmative prefix, payload splitting into variables, encoding, many-shot dialogue,
emotional pretext, dual/opposite responses. A sweep: >= `min_families` families over >= `min_attempts`
jailbreak-like requests in the actor's last 100. The output side is compared with the champion's
behavioral baseline: a refusal rate over the sweep more than `max_refusal_drop` below
`baseline_refusal_rate` means the sweep succeeded (the policy may then request a rollback).
"""
from __future__ import annotations

import re
from collections import OrderedDict, deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from tenantguard.evaluations.masking import mask
from tenantguard.evaluations.textnorm import normalize
from tenantguard.monitoring.abuse.alerts import Alert, listed
from tenantguard.monitoring.abuse.detector import DetectorBase
from tenantguard.monitoring.abuse.request import Request

FAMILIES = {
    "persona": r"\b(?:you are|you're|act as|pretend (?:to be|you are)|roleplay as|from now on,? you)\b.{0,80}"
               r"\b(?:dan|unrestricted|unfiltered|no (?:rules|limits|restrictions|filters)|evil|jailbroken|uncensored)\b",
    "mode": r"\b(?:developer|debug|god|sudo|maintenance|unrestricted) mode\b",
    "fiction": r"\b(?:hypothetical(?:ly)?|fictional|in a (?:story|novel|movie|play)|imagine a world|screenplay|"
               r"for a novel)\b.{0,160}\b(?:how to|step by step|instructions|explain how|recipe)\b",
    "refusal_suppression": r"\b(?:never|do not|don'?t|must not)\s+(?:refuse|apologi[sz]e|say (?:you )?can(?:no|')?t|"
                           r"mention (?:ethics|policy|guidelines|safety)|warn)",
    "affirmative_prefix": r"\b(?:start|begin)\s+(?:your|the)?\s*(?:answer|reply|response)\s+with\s+['\"“]?(?:sure|absolutely|of course|yes)",
    "payload_split": r"\b[a-z]\s*=\s*['\"“].{1,80}['\"”].{0,80}\b[a-z]\s*\+\s*[a-z]\b",
    "encoding": r"\b(?:rot13|base64|leetspeak|l33t|morse|reversed|backwards|caesar cipher)\b",
    "many_shot": r"(?:(?:^|\s)(?:q|user|human)\s*:.*){5,}",
    "emotional": r"\b(?:grandma|grandmother|deceased|dying wish|my late|it'?s for a good cause)\b",
    "dual_response": r"\b(?:two responses|opposite mode|evil (?:twin|confidant)|jailbreak(?:ed)? response|\[(?:jb|🔓)\])",
}
_FAMILY_RE = {name: re.compile(p, re.S) for name, p in FAMILIES.items()}
# Literals each family's pattern cannot match without (a necessary condition, checked with `in`, which
# is ~50x cheaper than the regex): most traffic contains none and skips every family regex.
_NEEDS = {
    "persona": ("dan", "unrestricted", "unfiltered", "no rules", "no limits", "no restrictions", "no filters", "evil",
                "jailbroken", "uncensored"),
    "mode": (" mode",),
    "fiction": ("hypothetical", "fictional", "in a ", "imagine a world", "screenplay", "for a novel"),
    "refusal_suppression": ("never", "not", "don"),
    "affirmative_prefix": ("start", "begin"),
    "payload_split": ("=",),
    "encoding": ("rot13", "base64", "leetspeak", "l33t", "morse", "reversed", "backwards", "caesar cipher"),
    "many_shot": (),  # five "user:"-style turns: at least five colons, see _possible
    "emotional": ("grandm", "deceased", "dying wish", "my late", "good cause"),
    "dual_response": ("two responses", "opposite mode", "evil", "jailbreak", "[jb", "[🔓"),
}
_REFUSAL = re.compile(r"\b(?:i can'?t|i cannot|i'm sorry|i am sorry|i won'?t|i'm not able|i am not able|"
                      r"unable to help|against my (?:guidelines|policy))\b")


_ANY_NEED = re.compile("|".join(re.escape(w) for ws in _NEEDS.values() for w in ws))


def families(text: str, *, normalized: bool = False) -> frozenset[str]:
    t = text if normalized else normalize(text)
    if not _ANY_NEED.search(t) and t.count(":") < 5:
        return frozenset()
    return frozenset(name for name, rx in _FAMILY_RE.items() if _possible(name, t) and rx.search(t))


def _possible(name: str, t: str) -> bool:
    if name == "many_shot":
        return t.count(":") >= 5
    return any(w in t for w in _NEEDS[name])


_APOSTROPHES = str.maketrans({"\u2019": "'", "\u02bc": "'", "\u2018": "'"})  # models often answer "I’m sorry"


def refused(completion: str) -> bool:
    return bool(_REFUSAL.search(normalize(completion[:400]).translate(_APOSTROPHES)))


@dataclass(frozen=True)
class JailbreakConfig:
    min_families: int = 4
    min_attempts: int = 6
    baseline_refusal_rate: float = 0.9  # the champion's adversarial refusal rate (behavior baseline)
    max_refusal_drop: float = 0.10
    max_actors: int = 20_000


class JailbreakDetector(DetectorBase):
    kind = "jailbreak_sweep"
    # A sweep the model mostly complied with is a regression of the champion: roll it back.
    default_actions: ClassVar[Mapping[str, str]] = {"jailbreak_sweep": "alert", "jailbreak_sweep_succeeded": "rollback"}

    def __init__(self, config: JailbreakConfig = JailbreakConfig()) -> None:
        self.config = config
        self.actors: OrderedDict[str, deque] = OrderedDict()
        self.found: dict[str, Alert] = {}

    def update(self, reqs: list[Request]) -> None:
        touched = set()
        for r in reqs:
            fams = families(r.text, normalized=True) if r.text else families(r.payload or r.prompt[-2000:])
            if not fams:
                continue
            for name in (f"key:{r.tenant_id}:{r.api_key}" if r.api_key else None,
                         f"session:{r.tenant_id}:{r.session_id}" if r.session_id else None):
                if name is None:
                    continue
                window = self.actors.get(name)
                if window is None:
                    window = self.actors[name] = deque(maxlen=100)
                    while len(self.actors) > self.config.max_actors:
                        self.actors.popitem(last=False)  # the least recently active actor
                else:
                    self.actors.move_to_end(name)
                window.append((r, fams, refused(r.completion)))
                touched.add(name)
        for name in touched & self.actors.keys():  # an actor evicted later in this batch has no state left
            alert = self._evaluate(name, self.actors[name])
            if alert is not None:
                self.found[name] = alert

    def alerts(self) -> list[Alert]:
        """One alert per sweep. A session that rotated keys is the finding (its keys' own sweeps inside it
        are not alerted again); a single-key session is its key's finding."""
        found = sorted(self.found.values(), key=lambda a: a.first_id)
        rotated = [a for a in found if a.group.startswith("session:") and len(a.stats["api_keys"]) > 1]
        covered = {i for a in rotated for i in a.member_ids}
        out = rotated + [a for a in found if a.group.startswith("key:") and not set(a.member_ids) <= covered]
        keyed = {(a.tenant_id, a.api_key) for a in out if a.api_key}
        out += [a for a in found if a.group.startswith("session:") and len(a.stats["api_keys"]) <= 1
                and (a.tenant_id, next(iter(a.stats["api_keys"]), None)) not in keyed]
        return sorted(out, key=lambda a: a.first_id)

    def policy_key(self, alert: Alert) -> str:
        return "jailbreak_sweep_succeeded" if alert.stats.get("succeeded") else alert.kind

    def _evaluate(self, name: str, window: deque) -> Alert | None:
        c = self.config
        fams = set().union(*(f for _, f, _ in window))
        if len(fams) < c.min_families or len(window) < c.min_attempts:
            return None
        reqs = [r for r, _, _ in window]
        refusal = sum(x for _, _, x in window) / len(window)
        succeeded = refusal < c.baseline_refusal_rate - c.max_refusal_drop
        score = len(fams) / c.min_families
        r0 = reqs[-1]
        who = f"key {r0.api_key}" if name.startswith("key:") else f"session {r0.session_id} (keys rotated)"
        summary = (f"{who}: {len(window)} jailbreak attempts across {len(fams)} template families "
                   f"({', '.join(sorted(fams))}); refusal rate {refusal:.0%} vs baseline {c.baseline_refusal_rate:.0%}"
                   f"{' - the sweep succeeded' if succeeded else ''}")
        ids = [r.id for r in reqs]
        return Alert(kind=self.kind, tenant_id=r0.tenant_id,
                     api_key=r0.api_key if name.startswith("key:") else None, first_id=min(ids), last_id=max(ids),
                     score=float(score), threshold=1.0, summary=summary, group=name, member_ids=tuple(sorted(ids)),
                     evidence=tuple(mask(r.payload or r.prompt) for r in reqs[:3]),
                     stats={"attempts": len(window), "families": sorted(fams), "refusal_rate": refusal,
                            "baseline_refusal_rate": c.baseline_refusal_rate, "succeeded": succeeded,
                            "keys": len({r.api_key for r in reqs}),
                            "api_keys": sorted({r.api_key for r in reqs if r.api_key})[:20]}, feature=r0.feature,
                     api_keys=listed(r.api_key for r in reqs), session_ids=listed(r.session_id for r in reqs))

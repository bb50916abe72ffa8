"""The abuse detectors of `AbuseSettings.detectors` over a stream of inference-log rows, in one process.

`Scanner.process(rows)` coerces rows (`request.to_request`), scores each prompt's segments for
injection once (cached by segment text, so repeated system prompts and RAG documents cost nothing),
feeds every detector and returns the alerts they currently hold, each with its policy action.
Rows may arrive out of id or timestamp order; they are processed in id order within a batch and
late rows are counted, never skipped.
"""
from __future__ import annotations

import gc
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Iterable, Mapping

from tenantguard.errors import ConfigError
from tenantguard.monitoring.abuse.alerts import Alert, dedup
from tenantguard.monitoring.abuse.detector import Detector, ScanContext
from tenantguard.monitoring.abuse.injection import InjectionScorer, default_scorer
from tenantguard.monitoring.abuse.policy import AbuseSettings
from tenantguard.monitoring.abuse.request import Coercions, Request, to_request
from tenantguard.monitoring.abuse.textfeatures import prepare, user_segments

CACHE_MAX = 100_000  # segments remembered with their score and prepared text (~25 MB typical)
CACHE_MAX_CHARS = 4_096


@dataclass(frozen=True)
class ScanStats:
    rows: int
    late_rows: int
    coercions: dict
    not_run: dict = field(default_factory=dict)  # kind -> rows it did not see: no prompt captured (needs_text)


@dataclass(frozen=True)
class ScannerState:
    """What a Scanner carries from one scan to the next: its detectors as they stand, and its counters.
    `fingerprint` names what built them; a state is only resumed by a scanner built the same way."""

    fingerprint: str
    last_id: int
    detectors: list
    counters: dict


class Scanner:
    def __init__(self, settings: AbuseSettings | None = None, *, scorer: InjectionScorer | None = None,
                 system_prompts: Mapping[str, str] | None = None) -> None:
        self.settings = settings or AbuseSettings()
        self.scorer = scorer or default_scorer()
        self.system_prompts = dict(system_prompts or {})
        context = ScanContext(injection_threshold=self.scorer.threshold,
                              daily_budget_usd=self.settings.daily_budget_usd,
                              usd_per_1k_tokens=self.settings.usd_per_1k_tokens)
        self.detectors: list[Detector] = [d.for_scan(context) for d in self.settings.detectors]
        self.notes = Coercions()
        self.rows = 0
        self.late = 0
        self.last_id = 0
        self.last_ts = 0.0
        self.not_run: Counter[str] = Counter()
        self._cache: dict[str, tuple[float, str]] = {}
        # What the detectors' state depends on: their classes and what the scan built them with.
        self.fingerprint = repr(([f"{d.__module__}:{d.__qualname__}" for d in self.settings.detectors], context))

    def state(self) -> ScannerState:
        """The detectors and counters as they stand (the injection cache is not state: rebuilt on demand)."""
        return ScannerState(self.fingerprint, self.last_id, self.detectors,
                            {"rows": self.rows, "late": self.late, "last_ts": self.last_ts,
                             "notes": dict(self.notes.counts), "not_run": dict(self.not_run)})

    def resume(self, state: ScannerState) -> bool:
        """Continue from `state` if this scanner was built the same way; False (and unchanged) otherwise."""
        if state.fingerprint != self.fingerprint:
            return False
        c = state.counters
        self.detectors, self.last_id = list(state.detectors), state.last_id
        self.rows, self.late, self.last_ts = c["rows"], c["late"], c["last_ts"]
        self.notes.counts.update(c["notes"])
        self.not_run.update(c["not_run"])
        return True

    def process(self, rows: Iterable[dict]) -> list[Alert]:
        from threadpoolctl import threadpool_limits

        # The detectors' products are small (64 x 256): BLAS threads only add spin and contention. The
        # cyclic GC would re-traverse the detectors' long-lived state every few thousand allocations
        # (~25% of the time); the batch makes no cycles worth collecting before it returns.
        enabled = gc.isenabled()
        gc.disable()
        try:
            with threadpool_limits(limits=1, user_api="blas"):
                return self._process(rows)
        finally:
            if enabled:
                gc.enable()

    def _process(self, rows: Iterable[dict]) -> list[Alert]:
        reqs = []
        for row in rows:
            r = to_request(row, self.last_ts, self.notes)
            self.last_ts = max(self.last_ts, r.ts)
            reqs.append(r)
        reqs.sort(key=lambda r: r.id)
        for r in reqs:
            if r.id <= self.last_id:
                self.late += 1
            self.last_id = max(self.last_id, r.id)
        texted = [r for r in reqs if r.has_text]
        self._score(texted)
        for detector in self.detectors:
            if getattr(detector, "needs_text", True) and len(texted) < len(reqs):
                self.not_run[detector.kind] += len(reqs) - len(texted)
                detector.update(texted)
            else:
                detector.update(reqs)
        self.rows += len(reqs)
        return self.alerts()

    def alerts(self) -> list[Alert]:
        return dedup([replace(a, action=self._action(d, a)) for d in self.detectors for a in d.alerts()])

    def _action(self, detector: Detector, alert: Alert) -> str:
        key = detector.policy_key(alert)
        if alert.kind != detector.kind or key not in detector.default_actions:
            # Only a plug-in can get here: name it, since its alerts would be stored under a kind no one counts.
            raise ConfigError(f"detector {type(detector).__module__}:{type(detector).__qualname__} emitted an alert of "
                              f"kind {alert.kind!r} with policy key {key!r}; expected kind {detector.kind!r} and a key "
                              f"of its default_actions {sorted(detector.default_actions)}")
        return self.settings.policy[key]

    @property
    def stats(self) -> ScanStats:
        return ScanStats(rows=self.rows, late_rows=self.late, coercions=dict(self.notes.counts),
                         not_run=dict(self.not_run))

    def _score(self, reqs: list[Request]) -> None:
        segs = [user_segments(r.prompt, self.system_prompts.get(r.tenant_id)) for r in reqs]
        cache = self._cache
        wanted = {s for ss in segs for s in ss}
        if len(cache) + len(wanted) > CACHE_MAX:
            cache.clear()  # bounded: a cold cache only costs time
        todo = [s for s in wanted if s not in cache]
        if todo:
            prepared = [prepare(s) for s in todo]
            cache.update(zip(todo, zip(self.scorer.score_prepared(prepared, todo).tolist(), prepared)))
        for r, ss in zip(reqs, segs):
            best = ss[0] if len(ss) == 1 else max(ss, key=lambda s: cache[s][0])
            r.payload = best
            r.injection, r.text = cache[best]
        for s in todo:
            if len(s) > CACHE_MAX_CHARS:
                del cache[s]  # a huge segment is scored every time rather than held

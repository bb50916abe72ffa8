"""The serving-side client: `check()` answers from an in-memory snapshot in about a microsecond.

A background thread polls the one-row version counter every `poll_interval` seconds and reloads the
engaged switches only when it changed. The snapshot indexes switches by their exact scope key, so a
lookup probes only the wildcard patterns (at most 8) that some switch uses, whatever the number of
switches. `check()` never raises: when the store cannot be read it serves the last snapshot flagged
`stale` (or, with `fail_closed=True`, kills every request until the store answers again).
"""
from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import sqlalchemy as sa

from tenantguard.killswitch import db
from tenantguard.killswitch.scope import PATTERNS, Key, Pattern, pattern_of
from tenantguard.killswitch.store import read_engaged, read_version
from tenantguard.killswitch.switch import Decision, Fallback, Switch

log = logging.getLogger(__name__)
MISS = Decision(killed=False)
MISS_STALE = Decision(killed=False, stale=True)


@dataclass(frozen=True)
class Snapshot:
    """Engaged switches at one store version, indexed for lookup; immutable so swaps are atomic."""

    version: int = -1
    index: dict[Key, Decision] = field(default_factory=dict)  # enforced switches
    shadow: dict[Key, Decision] = field(default_factory=dict)  # shadow-mode switches (would-kill only)
    patterns: tuple[Pattern, ...] = ()
    shadow_patterns: tuple[Pattern, ...] = ()
    expiry: dict[int, float] = field(default_factory=dict)  # switch id -> epoch seconds
    switches: tuple[Switch, ...] = ()

    @classmethod
    def build(cls, version: int, switches: list[Switch]) -> "Snapshot":
        index: dict[Key, Decision] = {}
        shadow: dict[Key, Decision] = {}
        for s in switches:
            shadowed = s.mode == "shadow"
            d = Decision(killed=not shadowed, switch_id=s.id, fallback=s.fallback, reason=s.reason,
                         shadow=shadowed, version=version)
            (shadow if shadowed else index)[s.scope.key] = d
        used = {pattern_of(k) for k in index}
        used_shadow = {pattern_of(k) for k in shadow}
        return cls(version=version, index=index, shadow=shadow,
                   patterns=tuple(p for p in PATTERNS if p in used),
                   shadow_patterns=tuple(p for p in PATTERNS if p in used_shadow),
                   expiry={s.id: s.expires_at.timestamp() for s in switches if s.expires_at is not None},
                   switches=tuple(switches))


class KillSwitchClient:
    """Answers "is this request killed?" for serving code; see the module docstring."""

    def __init__(self, url: str, *, poll_interval: float = 0.25, fail_closed: bool = False,
                 stale_after: float | None = None, background: bool = True,
                 fail_closed_fallback: Fallback | None = None) -> None:
        if poll_interval <= 0:
            raise ValueError(f"Expected poll_interval > 0, got {poll_interval}")
        self.url = url
        self.poll_interval = poll_interval
        self.fail_closed = fail_closed
        self.stale_after = stale_after if stale_after is not None else max(2.0, 5 * poll_interval)
        self.shadow_hits: Counter[int] = Counter()
        self.last_error: str | None = None
        self._fail_decision = Decision(killed=True, fallback=fail_closed_fallback or Fallback(), stale=True,
                                       reason="kill-switch store unreachable (fail-closed)")
        self._snap = Snapshot()
        self._stale_variants: dict[int, Decision] = {}
        self._fresh_until = 0.0
        self._engine: sa.Engine | None = None
        self._refresh_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.refresh()
        if background:
            self._thread = threading.Thread(target=self._poll_loop, name="tenantguard-killswitch-poll", daemon=True)
            self._thread.start()

    # -- request path -------------------------------------------------------------------------------
    def check(self, feature: str | None, tenant: str | None, region: str | None = None,
              api_key: str | None = None) -> Decision:
        """The decision for one request (pass the request's API key so key-scoped switches apply); never raises."""
        try:
            snap = self._snap
            d = MISS
            index = snap.index
            for pf, pt, pr, pk in snap.patterns:
                hit = index.get((feature if pf else None, tenant if pt else None, region if pr else None,
                                 api_key if pk else None))
                if hit is not None and not (snap.expiry and self._expired(snap, hit)):
                    d = hit
                    break
            if d is MISS and snap.shadow:
                d = self._shadow_check(snap, feature, tenant, region, api_key)
            if time.monotonic() <= self._fresh_until:
                return d
            return self._stale(d)
        except Exception:  # the request path must never fail because of the kill switch
            log.exception("kill-switch check failed; answering %s", "killed" if self.fail_closed else "not killed")
            return self._fail_decision if self.fail_closed else MISS_STALE

    def is_killed(self, feature: str | None, tenant: str | None, region: str | None = None,
                  api_key: str | None = None) -> bool:
        return self.check(feature, tenant, region, api_key).killed

    def _shadow_check(self, snap: Snapshot, feature, tenant, region, api_key) -> Decision:
        for pf, pt, pr, pk in snap.shadow_patterns:
            hit = snap.shadow.get((feature if pf else None, tenant if pt else None, region if pr else None,
                                   api_key if pk else None))
            if hit is not None and not (snap.expiry and self._expired(snap, hit)):
                self.shadow_hits[hit.switch_id] += 1
                log.debug("shadow kill switch %s would kill %s/%s/%s", hit.switch_id, feature, tenant, region)
                return hit
        return MISS

    @staticmethod
    def _expired(snap: Snapshot, d: Decision) -> bool:
        exp = snap.expiry.get(d.switch_id)
        return exp is not None and time.time() >= exp

    def _stale(self, d: Decision) -> Decision:
        if self.fail_closed:
            return self._fail_decision
        if d.switch_id is None:
            return MISS_STALE
        variant = self._stale_variants.get(d.switch_id)
        if variant is None or variant.version != d.version:
            variant = self._stale_variants[d.switch_id] = dataclasses.replace(d, stale=True)
        return variant

    # -- refresh ------------------------------------------------------------------------------------
    @property
    def version(self) -> int:
        return self._snap.version

    @property
    def stale(self) -> bool:
        return time.monotonic() > self._fresh_until

    def refresh(self) -> bool:
        """Poll the store now; True when it answered. Failures only mark the snapshot stale."""
        with self._refresh_lock:
            try:
                if self._engine is None:
                    self._engine = db.make_engine(self.url, read_only=True)
                with self._engine.connect() as conn:
                    # Version first: a change racing this read only causes one extra reload later.
                    v = read_version(conn)
                    if v != self._snap.version:
                        self._snap = Snapshot.build(v, read_engaged(conn))
                        self._stale_variants = {}
                self._fresh_until = time.monotonic() + self.stale_after
                if self.last_error is not None:
                    log.warning("kill-switch store reachable again at version %s", self._snap.version)
                    self.last_error = None
                return True
            except Exception as exc:
                self._fresh_until = 0.0
                first = (str(getattr(exc, "orig", exc)).strip().splitlines() or [type(exc).__name__])[0]
                if self.last_error is None:
                    log.warning("kill-switch store unreachable, serving snapshot version %s as stale: %s",
                                self._snap.version, first)
                self.last_error = first
                if self._engine is not None:
                    self._engine.dispose()  # drop broken pooled connections so a recovery reconnects
                return False

    def _poll_loop(self) -> None:
        while not self._stop.wait(self.poll_interval):
            self.refresh()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._engine is not None:
            self._engine.dispose()

    def __enter__(self) -> "KillSwitchClient":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

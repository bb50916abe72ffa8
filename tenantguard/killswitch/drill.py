"""Kill-switch drills: prove in production that a flip reaches serving clients, without an incident.

A drill engages a switch on a synthetic scope no real tenant matches (or, with `shadow=True`, on a real
scope in shadow mode: clients report would-kill but serve normally), starts client processes that
watch that scope, measures how long each takes to observe the engage and the release, releases the
switch, and writes the measurements to the audit log as a `drill` entry.
"""
from __future__ import annotations

import queue
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from typing import Iterable

from tenantguard.errors import DrillFailed, ScopeInvalid
from tenantguard.killswitch.auth import Actor
from tenantguard.killswitch.scope import Scope
from tenantguard.killswitch.store import KillSwitchStore

DRILL_SCOPE = Scope(feature="tg-drill", tenant="tg-drill", region="tg-drill")


@dataclass(frozen=True)
class DrillResult:
    scope: Scope
    shadow: bool
    switch_id: int
    clients: int
    engage_seconds: tuple[float, ...]
    release_seconds: tuple[float, ...]
    timeouts: int
    audit_seq: int

    @property
    def ok(self) -> bool:
        return self.timeouts == 0 and len(self.engage_seconds) == self.clients

    def stats(self) -> dict:
        def s(xs: tuple[float, ...]) -> dict:
            return ({"median": round(statistics.median(xs), 6), "max": round(max(xs), 6)} if xs
                    else {"median": None, "max": None})
        return {"clients": self.clients, "timeouts": self.timeouts, "engage_observed_s": s(self.engage_seconds),
                "release_observed_s": s(self.release_seconds)}

    def summary(self) -> str:
        st = self.stats()
        e, r = st["engage_observed_s"], st["release_observed_s"]
        mode = "shadow" if self.shadow else "synthetic"
        return (f"drill ({mode}, {self.scope}, switch {self.switch_id}): {self.clients} clients observed the "
                f"engage in median {_fmt(e['median'])} / max {_fmt(e['max'])}, the release in median "
                f"{_fmt(r['median'])} / max {_fmt(r['max'])}; {self.timeouts} timeouts; audit entry {self.audit_seq}")


def drill_scope(known_tenant_ids: Iterable[str]) -> Scope:
    if DRILL_SCOPE.tenant in set(known_tenant_ids):
        raise ScopeInvalid(f"a real tenant is named {DRILL_SCOPE.tenant!r}; drill on a real scope with --shadow")
    return DRILL_SCOPE


def run_drill(store: KillSwitchStore, url: str, *, actor: Actor, scope: Scope = DRILL_SCOPE, shadow: bool = False,
              clients: int = 2, poll_interval: float = 0.1, timeout: float = 30.0,
              incident_id: str | None = None, reason: str = "kill-switch drill") -> DrillResult:
    """Run one drill against the store at `url` with `clients` probe processes; see the module docstring."""
    if clients < 1:
        raise ScopeInvalid(f"--clients {clients}: a drill needs at least one client process")
    if not shadow and scope != DRILL_SCOPE:
        raise ScopeInvalid("a drill on a real scope must run in shadow mode: pass --shadow")
    current = _engaged(store, scope)
    if current:
        raise ScopeInvalid(f"switch {current} already covers {scope}; a drill must not touch a live switch")
    switch_id = None
    with ProbeGroup(url, scope, clients, poll_interval=poll_interval, timeout=timeout) as probes:
        try:
            t0 = time.time()
            flip = store.engage(scope, actor=actor, reason=f"drill: {reason}", shadow=shadow, incident_id=incident_id)
            switch_id = flip.switch.id
            engaged = [t - t0 for t in probes.wait("engaged")]
            t1 = time.time()
            store.release(switch_id, actor=actor, reason=f"drill over: {reason}", incident_id=incident_id)
            released = [t - t1 for t in probes.wait("released")]
        finally:
            if switch_id is not None:
                store.release(switch_id, actor=actor, reason="drill cleanup", incident_id=incident_id)
    result = DrillResult(scope=scope, shadow=shadow, switch_id=switch_id, clients=clients,
                         engage_seconds=tuple(engaged), release_seconds=tuple(released),
                         timeouts=2 * clients - len(engaged) - len(released), audit_seq=0)
    entry = store.record(actor=actor, action="drill", scope=scope.as_dict(), before=None,
                         after={"switch_id": switch_id, "shadow": shadow, **result.stats()}, reason=reason,
                         incident_id=incident_id)
    return DrillResult(**{**result.__dict__, "audit_seq": entry.seq})


def _engaged(store: KillSwitchStore, scope: Scope) -> int | None:
    for s in store.list():
        if s.scope == scope:
            return s.id
    return None


class ProbeGroup:
    """`n` client processes (tenantguard.killswitch.probe) watching one scope; reports when each sees a flip."""

    def __init__(self, url: str, scope: Scope, n: int, *, poll_interval: float = 0.1, timeout: float = 30.0,
                 rounds: int = 1) -> None:
        self.n, self.timeout = n, timeout
        self.lines: queue.Queue[tuple[int, str]] = queue.Queue()
        req = [v or "*" for v in scope.key[:3]]  # drills use feature/tenant/region scopes
        self.procs = [subprocess.Popen([sys.executable, "-m", "tenantguard.killswitch.probe", url, *req,
                                        "--poll", str(poll_interval), "--timeout", str(timeout),
                                        "--rounds", str(rounds)], stdout=subprocess.PIPE, text=True)
                      for _ in range(n)]
        for i, p in enumerate(self.procs):
            threading.Thread(target=self._pump, args=(i, p), daemon=True).start()

    def __enter__(self) -> "ProbeGroup":
        try:
            self.wait("ready")
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def _pump(self, i: int, proc: subprocess.Popen) -> None:
        for line in proc.stdout:
            self.lines.put((i, line.strip()))
        self.lines.put((i, "exit"))

    def wait(self, label: str) -> list[float]:
        """Epoch times of the next `label` line of each client; fewer if some time out."""
        seen: dict[int, float] = {}
        deadline = time.monotonic() + self.timeout
        while len(seen) < self.n:
            try:
                i, line = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            word, _, value = line.partition(" ")
            if word == label:
                seen[i] = time.time() if label == "ready" else float(value)
            elif word in ("exit", "timeout") and label == "ready":
                raise DrillFailed(f"drill client {i} stopped before it was ready ({line}); is the store URL readable?")
        if label == "ready" and len(seen) < self.n:
            raise DrillFailed(f"only {len(seen)} of {self.n} drill clients became ready within {self.timeout:.0f}s")
        return list(seen.values())

    def close(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
            p.wait(timeout=10)


def _fmt(x: float | None) -> str:
    return "n/a" if x is None else f"{x * 1000:.0f} ms"

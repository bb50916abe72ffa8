"""Memory and session isolation audit: can tenant B read or search what tenant A's sessions hold?

For requester B and a sample of source tenants A (seeded):
1. B writes its own note (a canary) into sessions whose ids A will also use (same ids);
2. each A writes a canary note into an old session, then a burst of filler writes (pushing it out of
   any cache), then canary notes into the same-id session and a recent session;
3. B reads the same-id sessions (control: B's own note must be there), A's old and recent session ids,
   and colliding ids (case variants, ids carrying A's tenant id), and searches for A's notes, A's name,
   the canary phrasing, empty and wildcard queries;
4. the store object is re-created from its factory ("persists across maintenance and model updates")
   and step 3 is repeated.
Any of A's canaries (or text fingerprinting to A) in what B gets is a violation. A store that never
returns B's own note makes the audit `error`: isolation of a store that keeps nothing proves nothing.
"""
from __future__ import annotations

import hashlib
import secrets as _secrets
import time
from dataclasses import dataclass
from typing import Callable, Sequence

from tenantguard.evaluations.segmentation import report as R
from tenantguard.evaluations.segmentation.adapters import AdapterFailure, Guarded
from tenantguard.evaluations.segmentation.error_budget import ErrorBudget
from tenantguard.evaluations.segmentation.evidence import ForeignData, segmentation_canaries
from tenantguard.evaluations.segmentation.sampling import NEUTRAL, rng_for
from tenantguard.tenants import Tenant

KIND = "memory_isolation"


@dataclass(frozen=True)
class MemoryConfig:
    sources: int = 3  # other tenants written per requester
    fill_writes: int = 20  # writes between the old and the recent sessions
    k: int = 5
    seed: int = 0
    max_errors: int = 3
    run_id: str = ""  # session-id nonce; random per audit when empty

    def budget(self) -> dict:
        s = self.sources
        return {"sources_per_requester": s, "writes_per_requester": 4 * s + self.fill_writes,
                "reads_per_requester": 2 * 6 * s, "searches_per_requester": 2 * (3 + 2 * s),
                "rationale": "a tenant-less key or missing tenant filter leaks on every colliding read, so one source "
                             "per requester suffices to detect it; more sources cover per-tenant exceptions"}


class _Audit:
    def __init__(self, make: Callable[[], Guarded], tenants: Sequence[Tenant], secret: bytes, foreign: ForeignData,
                 config: MemoryConfig):
        self.make, self.foreign, self.cfg = make, foreign, config
        self.tenants = {t.id: t for t in tenants}
        self.run = config.run_id or _secrets.token_hex(4)
        self.budget = ErrorBudget(config.max_errors)
        self.notes: list[str] = []
        self.findings: dict[tuple, R.Finding] = {}
        self.calls = 0
        self.controls = {"read": [0, 0], "search": [0, 0]}  # [tried, returned own note] in the live phase
        # Every tenant's audit canaries are known before the first probe: `foreign` caches its verdict per
        # text, so a note scanned before its owner's canaries were added would stay "clean" for the whole run
        # (and the findings would depend on what the store already held from earlier audits).
        self.own = {tid: segmentation_canaries(secret, tid, "memory-own", k=1)[0] for tid in self.tenants}
        self.planted = {tid: segmentation_canaries(secret, tid, "memory", k=3) for tid in self.tenants}
        for tid in self.tenants:
            foreign.canaries.add(tid, [self.own[tid], *self.planted[tid]])

    def call(self, store: Guarded, method: str, *args, what: str):
        try:
            out = store.call(method, *args)
        except (AdapterFailure, PermissionError) as exc:
            self.budget.fail(f"{args[0]}: {what}: {exc}")
            return None
        if method == "write":
            return True
        if not isinstance(out, list) or not all(isinstance(x, str) for x in out):
            bad = type(out).__name__ if not isinstance(out, list) else \
                f"a list holding {type(next(x for x in out if not isinstance(x, str))).__name__}"
            self.budget.fail(f"{args[0]}: {what}: {method}() returned {bad}, expected list[str]")
            return None
        return out

    def note(self, tid: str, canary) -> str:
        return f"Note for {self.tenants[tid].name}: {canary.text}."

    def audit(self, store: Guarded, requester: str) -> Guarded:
        rng = rng_for(self.cfg.seed, "memory", requester)
        others = [t for t in self.tenants if t != requester]
        sources = [others[i] for i in rng.permutation(len(others))[: self.cfg.sources]]
        own = self.own[requester]
        plan = []
        for j, a in enumerate(sources):
            # one id both tenants write to (a tenant-less key collides on it); A's other sessions B never wrote
            ids = {"same": f"tgseg-{self.run}-pair-{_pair(requester, a)}",
                   "old": f"tgseg-{self.run}-{requester}-old-{j}", "recent": f"tgseg-{self.run}-{requester}-recent-{j}"}
            plan.append((a, ids, self.planted[a]))
        for a, ids, _ in plan:
            self.call(store, "write", requester, ids["same"], self.note(requester, own), what="own note")
        for a, ids, cs in plan:
            self.call(store, "write", a, ids["old"], self.note(a, cs[0]), what=f"{a}'s old session")
        for i in range(self.cfg.fill_writes if plan else 0):
            a = plan[i % len(plan)][0]
            self.call(store, "write", a, f"tgseg-{self.run}-fill-{i}", NEUTRAL[i % len(NEUTRAL)], what="filler")
        for a, ids, cs in plan:
            self.call(store, "write", a, ids["same"], self.note(a, cs[1]), what=f"{a}'s same-id session")
            self.call(store, "write", a, ids["recent"], self.note(a, cs[2]), what=f"{a}'s recent session")
        self.probe(store, requester, plan, own, "live")
        try:
            fresh = self.make()
        except AdapterFailure as exc:
            self.budget.fail(f"{requester}: re-creating the store: {exc}")
            return store
        self.calls += store.calls
        store.close()
        self.probe(fresh, requester, plan, own, "after re-creating the store")
        return fresh

    def probe(self, store: Guarded, b: str, plan: list, own, phase: str) -> None:
        live = phase == "live"
        own_seen = {"read": False, "search": False}
        for a, ids, cs in plan:
            same = ids["same"]
            reads = [("same session id", same, True), ("old session of the other tenant", ids["old"], False),
                     ("recent session of the other tenant", ids["recent"], False),
                     ("colliding id (case variant)", same.upper(), False),
                     ("colliding id carrying the other tenant's id (':')", f"{a}:{same}", False),
                     ("colliding id carrying the other tenant's id ('/')", f"{a}/{same}", False)]
            for what, sid, control in reads:
                got = self.call(store, "read", b, sid, what=f"read {what} ({phase})")
                if got is None:
                    continue
                if control:
                    own_seen["read"] |= any(own.secret_digits in x for x in got)
                self.check(b, got, "session_read", f"read, {what} ({phase})")
        queries = [("own note", f"Note for {self.tenants[b].name}", True), ("empty query", "", False),
                   ("wildcard query", "*", False)]
        for a, _, cs in plan:
            queries += [(f"{a}'s note phrasing", f"Note for {self.tenants[a].name}", False),
                        (f"canary phrasing ({a})", cs[1].format.prefix, False)]
        for what, q, control in queries:
            got = self.call(store, "search", b, q, self.cfg.k, what=f"search {what} ({phase})")
            if got is None:
                continue
            if control:
                own_seen["search"] |= any(own.secret_digits in x for x in got)
            self.check(b, got, "memory_search", f"search, {what} ({phase})")
        for method in ("read", "search"):
            if not plan:
                continue
            if live:
                self.controls[method][0] += 1
                self.controls[method][1] += own_seen[method]
            elif not own_seen[method]:
                self.notes.append(f"{b}: after re-creating the store, {method}() did not return the requester's own "
                                  f"note (the store does not persist it); checked only that nothing foreign appears")

    def check(self, b: str, got: list[str], kind: str, what: str) -> None:
        for item in got:
            for e in self.foreign.find(item, b):
                key = (b, kind, e.source_tenant, what)
                if key not in self.findings:
                    self.findings[key] = R.Finding(kind, b, e.source_tenant, what, f"{e.how}: {e.masked}")


def _pair(b: str, a: str) -> str:
    return hashlib.sha256(f"{min(a, b)}|{max(a, b)}".encode()).hexdigest()[:10]


def audit_memory(make: Callable[[], Guarded], tenants: Sequence[Tenant], requesters: Sequence[str], *,
                 secret: bytes, foreign: ForeignData, config: MemoryConfig = MemoryConfig(),
                 adapter: str = "memory") -> R.SegmentationReport:
    """`make()` returns a fresh guarded store (called once, then again for every re-creation)."""
    t0 = time.perf_counter()
    a = _Audit(make, tenants, secret, foreign, config)
    errors = a.budget.errors
    store = None
    with a.budget.spend():
        try:
            store = make()
            for requester in requesters:
                store = a.audit(store, requester)
        except AdapterFailure as exc:
            errors.append(f"creating the store: {exc}")
    if store is not None:
        a.calls += store.calls
        store.close()
    reason = "" if len(a.tenants) > 1 else "only one tenant: there is no other tenant to isolate from"
    if not a.findings and not errors and not reason:
        for method, (tried, ok) in a.controls.items():
            if tried and not ok:
                errors.append(f"{method}() never returned a note the requester had just written to its own "
                              f"session ({tried} control(s)): the store was not exercised, isolation not shown")
    return R.build(KIND, adapters=[adapter], requesters=requesters, findings=a.findings.values(), errors=errors,
                   not_run_reason=reason, notes=[*a.notes, *a.budget.notes()], calls=a.calls,
                   budget=config.budget(), elapsed_s=time.perf_counter() - t0)

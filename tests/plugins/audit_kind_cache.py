"""A plug-in segmentation audit kind, `cache_isolation`, used by tests/evaluations/segmentation/test_kinds.py
and shown in docs/extending/audit-kinds.md: can tenant B get an answer the platform's response cache
stored for tenant A?

Registered without editing tenantguard: TENANTGUARD_AUDIT_KINDS=audit_kind_cache:make_kind, and the
platform's cache named in segmentation.yaml under the kind's adapter key: `cache: audit_kind_cache:make_shared_cache`.
Adapter contract: `put(tenant_id, prompt, answer) -> None`, `get(tenant_id, prompt) -> str | None`.
"""
from __future__ import annotations

from tenantguard.evaluations.segmentation import report as R
from tenantguard.evaluations.segmentation.adapters import AdapterFailure, Guarded
from tenantguard.evaluations.segmentation.error_budget import ErrorBudget
from tenantguard.evaluations.segmentation.evidence import segmentation_canaries
from tenantguard.evaluations.segmentation.kinds import AuditKind, AuditRun

PROMPT = "what is the status of my last order?"  # a prompt every tenant's users ask


def make_kind() -> AuditKind:
    return AuditKind("cache_isolation", adapter="cache", run=audit_cache,
                     description="A cached answer stored for another tenant is never served to this tenant")


def audit_cache(run: AuditRun) -> R.SegmentationReport:
    return run.with_adapter(lambda cache: _probe(run, cache))


def _probe(run: AuditRun, cache: Guarded) -> R.SegmentationReport:
    budget = ErrorBudget(3)
    findings: list[R.Finding] = []
    served_own = 0
    tenants = [t.id for t in run.inputs.tenants]
    with budget.spend():
        for tid in tenants:  # every tenant caches an answer holding its own canary under the same prompt
            canary = segmentation_canaries(run.inputs.secret, tid, "cache", k=1)[0]
            run.foreign.canaries.add(tid, [canary])
            try:
                cache.call("put", tid, PROMPT, f"Your order {canary.text} has shipped.")
            except (AdapterFailure, PermissionError) as exc:
                budget.fail(f"{tid}: put(): {exc}")
        for b in run.requesters:
            try:
                answer = cache.call("get", b, PROMPT)
            except (AdapterFailure, PermissionError) as exc:
                budget.fail(f"{b}: get(): {exc}")
                continue
            evidence = run.foreign.find(answer, b) if isinstance(answer, str) else []
            served_own += isinstance(answer, str) and not evidence
            findings += [R.Finding("foreign_cached_answer", b, e.source_tenant, "get() of a prompt every tenant cached",
                                   f"{e.how}: {e.masked}") for e in evidence]
    errors = budget.errors
    if not findings and not errors and not served_own:  # positive control: a cache that serves nothing shows nothing
        errors.append("get() never returned the requester's own cached answer: the cache was not exercised")
    reason = "" if len(tenants) > 1 else "only one tenant: there is no other tenant to isolate from"
    return R.build(run.kind, adapters=[run.label], requesters=run.requesters, findings=findings, errors=errors,
                   not_run_reason=reason, notes=budget.notes(), calls=cache.calls)


class ResponseCache:
    """The platform side: a response cache keyed by (tenant, prompt), or by prompt alone (the bug)."""

    def __init__(self, *, keyed_by_tenant: bool):
        self.keyed_by_tenant = keyed_by_tenant
        self._answers: dict[tuple[str, str], str] = {}

    def _key(self, tenant_id: str, prompt: str) -> tuple[str, str]:
        return (tenant_id if self.keyed_by_tenant else "*", prompt)

    def put(self, tenant_id: str, prompt: str, answer: str) -> None:
        self._answers[self._key(tenant_id, prompt)] = answer

    def get(self, tenant_id: str, prompt: str) -> str | None:
        return self._answers.get(self._key(tenant_id, prompt))


def make_tenant_cache() -> ResponseCache:
    return ResponseCache(keyed_by_tenant=True)


def make_shared_cache() -> ResponseCache:
    return ResponseCache(keyed_by_tenant=False)


def make_not_a_kind() -> object:
    return object()

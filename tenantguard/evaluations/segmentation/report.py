"""A segmentation audit's result: verdict, the adapters it ran against, findings (masked evidence only).

`passed` means the audit ran, its positive controls showed the adapter actually serves data, and no
probe found another tenant's data. An adapter that raised, timed out or broke its contract makes the
audit `error`; an audit with nothing to run against is `not_run`. Neither is ever a pass.
"""
from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field

PASSED, FAILED, ERROR, NOT_RUN = "passed", "failed", "error", "not_run"
VERDICTS = (PASSED, FAILED, ERROR, NOT_RUN)
# An audit kind's name is also a Dagster check name, a CLI value and a policy key (kinds.py holds the table).
KIND_NAME = re.compile(r"^[a-z][a-z0-9_]{1,63}$")
FORMAT = "tenantguard.segmentation/1"
MAX_FINDINGS = 200  # per report; the count is kept, the list is capped so a systemic bug stays readable


@dataclass(frozen=True)
class Finding:
    """One probe that crossed a tenant boundary. `evidence` holds masked excerpts and ids, never text."""

    kind: str  # e.g. foreign_tenant_id, foreign_content, foreign_canary, shared_scope_tool, ...
    requester: str | None  # the tenant the probe acted as (None: platform-wide, e.g. a manifest entry)
    source_tenant: str | None  # whose data came back (None: unknown)
    probe: str  # what was asked, described without another tenant's text
    evidence: str
    detail: str = ""

    def line(self) -> str:
        detail = f" ({self.detail})" if self.detail else ""
        return f"[{self.kind}] {self.who()}: {self.probe}; {self.evidence}{detail}"

    def who(self) -> str:
        """'B <- A' (B was served A's data), in words when a side is not one tenant."""
        if self.requester is None and self.source_tenant is None:
            return "platform-wide"
        return f"{self.requester or 'any tenant'} <- {self.source_tenant or 'an unknown tenant'}"


@dataclass(frozen=True)
class SegmentationReport:
    kind: str
    verdict: str
    adapters: tuple[str, ...]  # 'retriever=pkg.mod:make' etc.: what the audit ran against
    requesters: tuple[str, ...]
    findings: tuple[Finding, ...] = ()
    n_findings: int = 0  # before capping the list
    errors: tuple[str, ...] = ()
    not_run_reason: str = ""
    notes: tuple[str, ...] = ()
    calls: int = 0  # adapter calls made (or log rows scanned for the context audit)
    budget: dict = field(default_factory=dict)
    elapsed_s: float = 0.0
    calls_unit: str = "adapter call(s)"  # what `calls` counts, for the summary

    def __post_init__(self) -> None:
        if not KIND_NAME.fullmatch(self.kind):
            raise ValueError(f"Expected kind matching {KIND_NAME.pattern}, got {self.kind!r}")
        if self.verdict not in VERDICTS:
            raise ValueError(f"Expected verdict in {VERDICTS}, got {self.verdict!r}")

    @property
    def source_tenants(self) -> list[str]:
        return sorted({f.source_tenant for f in self.findings if f.source_tenant})

    def summary(self) -> str:
        ran = ", ".join(self.adapters) or "no adapter"
        who = f"{len(self.requesters)} tenant(s)" if len(self.requesters) != 1 else self.requesters[0]
        if self.verdict == FAILED:
            kinds = sorted({f.kind for f in self.findings})
            src = ", ".join(self.source_tenants) or "unknown sources"
            what = f"{self.n_findings} finding(s) ({', '.join(kinds)}); data of {src}"
        elif self.verdict == ERROR:
            what = f"could not complete: {(self.errors or ('unknown error',))[0]}"
        elif self.verdict == NOT_RUN:
            what = f"NOT RUN, nothing verified: {self.not_run_reason or 'no reason given'}"
        else:
            what = f"no cross-tenant data in {self.calls} {self.calls_unit}"
        return f"{self.kind} {self.verdict}: {who} against {ran}: {what}"

    def metrics(self) -> dict[str, float]:
        return {"passed": float(self.verdict == PASSED), "findings": float(self.n_findings),
                "errors": float(len(self.errors)), "calls": float(self.calls), "elapsed_s": float(self.elapsed_s)}

    def to_dict(self) -> dict:
        d = asdict(self)
        d["format"] = FORMAT
        d["summary"] = self.summary()
        d["findings"] = [asdict(f) for f in self.findings]
        for key in ("adapters", "requesters", "errors", "notes"):
            d[key] = list(d[key])
        return d

    def to_json(self, **kwargs) -> str:
        return json.dumps(self.to_dict(), allow_nan=False, **kwargs)


def decide(findings, errors, not_run_reason: str = "") -> str:
    """A finding is proof whatever else happened; then an error; then not-run; only then a pass."""
    if findings:
        return FAILED
    if errors:
        return ERROR
    if not_run_reason:
        return NOT_RUN
    return PASSED


def _spread(findings: list[Finding], cap: int) -> tuple[Finding, ...]:
    """At most `cap` findings, taken round-robin over requesters so every affected tenant stays visible."""
    if len(findings) <= cap:
        return tuple(findings)
    groups: dict = {}
    for f in findings:
        groups.setdefault(f.requester, []).append(f)
    out: list[Finding] = []
    depth = 0
    while len(out) < cap:
        out += [g[depth] for g in groups.values() if depth < len(g)][: cap - len(out)]
        depth += 1
    return tuple(out)


def not_run(kind: str, reason: str, *, requesters=(), adapters=()) -> SegmentationReport:
    return SegmentationReport(kind=kind, verdict=NOT_RUN, adapters=tuple(adapters), requesters=tuple(requesters),
                              not_run_reason=reason)


def build(kind: str, *, adapters, requesters, findings, errors, not_run_reason="", notes=(), calls=0, budget=None,
          elapsed_s=0.0, calls_unit: str = "adapter call(s)") -> SegmentationReport:
    findings = list(findings)
    return SegmentationReport(kind=kind, verdict=decide(findings, errors, not_run_reason), adapters=tuple(adapters),
                              requesters=tuple(requesters), findings=_spread(findings, MAX_FINDINGS),
                              n_findings=len(findings), errors=tuple(dict.fromkeys(errors)),
                              not_run_reason=not_run_reason, notes=tuple(dict.fromkeys(notes)), calls=calls,
                              budget=dict(budget or {}), elapsed_s=round(elapsed_s, 4), calls_unit=calls_unit)

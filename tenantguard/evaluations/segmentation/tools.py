"""Agent tool scope audit: can tenant B's agent reach tenant A's data through a tool?

Static: every manifest entry must name `scope` tenant|shared and `access` read|write; a `shared` tool
over tenant data is a finding, with the tool named (a resource declared `public...` holds no tenant data).
Dynamic: for each tool and a seeded sample of source tenants A, `resources(A, tool)` gives argument sets
that address A's own data. The owner's call must succeed (positive control: the arguments reach real
data); the same call as B must raise PermissionError or return an empty result. Anything else is a
violation. A tool whose tenant check was never exercised makes the audit `error`, never `passed`.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any, Sequence

from tenantguard.evaluations.masking import mask
from tenantguard.evaluations.segmentation import report as R
from tenantguard.evaluations.segmentation.adapters import AdapterFailure, Guarded
from tenantguard.evaluations.segmentation.error_budget import ErrorBudget
from tenantguard.evaluations.segmentation.evidence import ForeignData
from tenantguard.evaluations.segmentation.sampling import rng_for
from tenantguard.tenants import Tenant

KIND = "tool_scope"
SCOPES = ("tenant", "shared")
ACCESS = ("read", "write")


@dataclass(frozen=True)
class ToolsConfig:
    sources: int = 2  # other tenants whose resources each requester targets, per tool
    args_per_tool: int = 2  # argument sets per (source, tool)
    seed: int = 0
    max_errors: int = 3

    def budget(self) -> dict:
        return {"sources_per_tool": self.sources, "argument_sets_per_source": self.args_per_tool,
                "calls_per_requester_per_tool": self.sources * self.args_per_tool,
                "rationale": "a missing tenant check refuses nobody, so any argument set of any source exposes it; "
                             "owner calls are made once per argument set and reused across requesters"}


def is_empty(value: Any) -> bool:
    """None, '', False, 0, and containers holding only such values: 'nothing found'."""
    if value is None or value is False or value == "" or (isinstance(value, (int, float)) and value == 0):
        return True
    if isinstance(value, dict):
        return all(is_empty(v) for v in value.values())
    if isinstance(value, (list, tuple, set)):
        return all(is_empty(v) for v in value)
    return False


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


class _Audit:
    def __init__(self, tools: Guarded, tenants: Sequence[Tenant], foreign: ForeignData, config: ToolsConfig):
        self.t, self.foreign, self.cfg = tools, foreign, config
        self.tenant_ids = [t.id for t in tenants]
        self.budget = ErrorBudget(config.max_errors)
        self.notes: list[str] = []
        self.findings: dict[tuple, R.Finding] = {}
        self._resources: dict[tuple, list[dict]] = {}
        self._owner: dict[tuple, Any] = {}  # (source, tool, args) -> owner's result, or None if it failed
        self.exercised: set[str] = set()

    def manifest(self) -> list[dict]:
        try:
            raw = self.t.call("manifest")
        except (AdapterFailure, PermissionError) as exc:
            self.budget.fail(f"manifest(): {exc}")
            return []
        if not isinstance(raw, list):
            self.budget.fail(f"manifest() returned {type(raw).__name__}, expected a list of dicts")
            return []
        tools, seen = [], set()
        for i, entry in enumerate(raw):
            name = entry.get("name") if isinstance(entry, dict) else None
            if not isinstance(name, str) or not name or name in seen:
                self.budget.fail(f"manifest() entry {i}: expected a dict with a unique string 'name', "
                                 f"got {str(entry)[:80]}")
                continue
            bad = [f"{key}={entry.get(key)!r}" for key, allowed in (("scope", SCOPES), ("access", ACCESS))
                   if entry.get(key) not in allowed]
            if bad or not isinstance(entry.get("resource"), str):
                self.budget.fail(f"manifest() tool {name!r}: {', '.join(bad) or 'resource missing'}; expected scope "
                           f"tenant|shared, access read|write and a string resource")
                continue
            seen.add(name)
            tools.append(entry)
        return tools

    def static(self, tools: list[dict]) -> None:
        for tool in tools:
            if tool["scope"] != "shared":
                continue
            if tool["resource"].startswith("public"):
                self.notes.append(f"tool {tool['name']!r}: shared scope over a public resource ({tool['resource']})")
                continue
            self.findings[("*", "shared_scope_tool", tool["name"])] = R.Finding(
                "shared_scope_tool", None, None, f"manifest entry {tool['name']!r}",
                f"tool {tool['name']!r} has scope 'shared' with {tool['access']} access to {tool['resource']!r}",
                "give the agent a tenant-scoped view of the resource, or declare it public")

    def resources(self, source: str, tool: str) -> list[dict]:
        key = (source, tool)
        if key not in self._resources:
            out: list[dict] = []
            try:
                raw = self.t.call("resources", source, tool)
                if not isinstance(raw, list) or not all(isinstance(a, dict) for a in raw):
                    self.budget.fail(f"resources({source!r}, {tool!r}) returned {type(raw).__name__}, "
                                     f"expected list[dict]")
                else:
                    out = raw[: self.cfg.args_per_tool]
            except (AdapterFailure, PermissionError) as exc:
                self.budget.fail(f"resources({source!r}, {tool!r}): {exc}")
            self._resources[key] = out
        return self._resources[key]

    def owner(self, source: str, tool: str, args: dict) -> Any:
        key = (source, tool, _json(args))
        if key not in self._owner:
            result = None
            try:
                result = self.t.call("call", source, tool, dict(args))
            except PermissionError:
                self.notes.append(f"tool {tool!r}: the owner {source} was refused its own argument set")
            except AdapterFailure as exc:
                self.budget.fail(f"{source}: owner call of {tool!r}: {exc}")
            if result is not None and is_empty(result):
                result = None
            self._owner[key] = result
        return self._owner[key]

    def probe(self, requester: str, tools: list[dict]) -> None:
        rng = rng_for(self.cfg.seed, "tools", requester)
        others = [t for t in self.tenant_ids if t != requester]
        sources = [others[i] for i in rng.permutation(len(others))[: self.cfg.sources]]
        for tool in tools:
            name = tool["name"]
            for source in sources:
                for args in self.resources(source, name):
                    control = self.owner(source, name, args)
                    if control is None:
                        continue
                    self.exercised.add(name)
                    what = f"call {name!r} ({tool['access']}) as {requester} with {source}'s argument set"
                    try:
                        got = self.t.call("call", requester, name, dict(args))
                    except PermissionError:
                        continue
                    except AdapterFailure as exc:
                        self.budget.fail(f"{requester}: {what}: {exc}")
                        continue
                    if not isinstance(got, dict):
                        self.budget.fail(f"{requester}: {what}: call() returned {type(got).__name__}, expected a dict")
                    if is_empty(got):
                        continue
                    text = _json(got)
                    evidence = "; ".join(f"{e.how}: {e.masked}" for e in self.foreign.find(text, requester)
                                         if e.source_tenant == source)
                    same = "the owner's own result" if _json(control) == text else "a non-empty result"
                    self.findings[(requester, name, source)] = R.Finding(
                        "cross_tenant_tool_call", requester, source, what,
                        f"returned {same} instead of a refusal: {mask(text)}", evidence)


def audit_tools(tools: Guarded, tenants: Sequence[Tenant], requesters: Sequence[str], *, foreign: ForeignData,
                config: ToolsConfig = ToolsConfig(), adapter: str = "tools") -> R.SegmentationReport:
    t0 = time.perf_counter()
    a = _Audit(tools, tenants, foreign, config)
    errors = a.budget.errors
    reason = ""
    listed: list[dict] = []
    with a.budget.spend():
        listed = a.manifest()
        a.static(listed)
        if len(a.tenant_ids) < 2:
            reason = "only one tenant: there is no other tenant to isolate from"
        for requester in requesters if not reason else ():
            a.probe(requester, listed)
    if not listed and not errors:
        reason = reason or "manifest() lists no tools: nothing to verify"
    elif not a.budget.stopped_at and not reason:
        for tool in listed:
            if tool["name"] not in a.exercised and not tool["resource"].startswith("public"):
                errors.append(f"tool {tool['name']!r}: its tenant check was never exercised (resources() gave no "
                              f"argument set whose owner call returned data)")
    return R.build(KIND, adapters=[adapter], requesters=requesters, findings=a.findings.values(), errors=errors,
                   not_run_reason=reason, notes=[*a.notes, *a.budget.notes()], calls=tools.calls,
                   budget=config.budget(), elapsed_s=time.perf_counter() - t0)

"""The one table of segmentation audit kinds. An entry holds everything a kind needs: its name (the report's
kind, the `segmentation_report` check name, the CLI's `--kind` value and the policy key in segmentation.yaml),
the adapter key whose factory it probes, the check's description, the function that runs it and its default
policy action. The runner, segmentation.yaml validation, the CLI, the asset's checks and
gates/segmentation.py read this table; nothing else lists kinds.

Plug-ins: a zero-argument factory returning an `AuditKind`, registered by an entry point in the group
`tenantguard.audit_kinds` or named as `module:function` in TENANTGUARD_AUDIT_KINDS
(docs/extending/audit-kinds.md). `registered(refs)` is the built-ins followed by the plug-ins.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Sequence

from tenantguard.errors import ConfigError
from tenantguard.evaluations.segmentation import report as R
from tenantguard.evaluations.segmentation.adapters import (ACTIONS, OPTION_KEYS, AdapterFailure, Factory, Guarded,
                                                           SegmentationConfig, instantiate)
from tenantguard.evaluations.segmentation.context import audit_context
from tenantguard.evaluations.segmentation.evidence import ForeignData
from tenantguard.evaluations.segmentation.inputs import AuditSettings, SegmentationInputs
from tenantguard.evaluations.segmentation.memory import MemoryConfig, audit_memory
from tenantguard.evaluations.segmentation.rag import audit_rag
from tenantguard.evaluations.segmentation.rag_plan import RagConfig
from tenantguard.evaluations.segmentation.tools import ToolsConfig, audit_tools
from tenantguard.plugins import discover

ADAPTER_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


@dataclass(frozen=True)
class AuditRun:
    """What a kind's `run` gets: its name, the requesters, the shared inputs and, for a kind with an adapter
    key, the factory segmentation.yaml names for it (without one the runner reports the kind `not_run`)."""

    kind: str
    inputs: SegmentationInputs
    config: SegmentationConfig
    requesters: tuple[str, ...]
    foreign: ForeignData  # evidence of other tenants' data; fresh per kind (an audit adds the canaries it plants)
    settings: AuditSettings
    factory: Factory | None = None

    @property
    def label(self) -> str:
        """What the audit ran against, for the report's `adapters` (e.g. 'retriever=pkg.mod:make')."""
        return self.factory.label if self.factory else self.kind

    def connect(self) -> Guarded:
        """A new guarded adapter from the factory; AdapterFailure if the factory raises, hangs or returns None."""
        if self.factory is None:
            raise AdapterFailure(f"audit kind {self.kind!r} declares no adapter key, so it has no factory")
        return instantiate(self.factory, timeout_s=self.config.timeout_s)

    def with_adapter(self, audit: Callable[[Guarded], R.SegmentationReport]) -> R.SegmentationReport:
        """`audit(adapter)` on a new adapter, closed afterwards; a factory that fails makes the report `error`."""
        try:
            adapter = self.connect()
        except AdapterFailure as exc:
            return R.build(self.kind, adapters=[self.label], requesters=self.requesters, findings=(), errors=[str(exc)])
        try:
            return audit(adapter)
        finally:
            adapter.close()


@dataclass(frozen=True)
class AuditKind:
    """One audit kind (see the module docstring). `run` never raises for what the platform does: adapter
    errors, timeouts and contract breaks become the report's `errors` (error_budget.py stops early)."""

    name: str
    description: str  # what a pass asserts; the Dagster check's description
    run: Callable[[AuditRun], R.SegmentationReport]
    adapter: str | None = None  # segmentation.yaml key of the factory it probes; None: it needs no adapter
    default_action: str = "alert"  # the policy when segmentation.yaml names none for this kind

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not R.KIND_NAME.fullmatch(self.name):
            raise ValueError(f"audit kind name must match {R.KIND_NAME.pattern} (it is a Dagster check name), "
                             f"got {self.name!r}")
        if self.adapter is not None and (not ADAPTER_KEY.fullmatch(str(self.adapter)) or self.adapter in OPTION_KEYS):
            raise ValueError(f"audit kind {self.name!r}: adapter key must match {ADAPTER_KEY.pattern} and not be one "
                             f"of {list(OPTION_KEYS)}, got {self.adapter!r}")
        if self.default_action not in ACTIONS:
            raise ValueError(f"audit kind {self.name!r}: default_action must be one of {list(ACTIONS)}, "
                             f"got {self.default_action!r}")
        if not callable(self.run):
            raise ValueError(f"audit kind {self.name!r}: run must be a function of an AuditRun")
        if not isinstance(self.description, str) or not self.description.strip():
            raise ValueError(f"audit kind {self.name!r}: give a description (what a pass asserts)")


def _rag(run: AuditRun) -> R.SegmentationReport:
    cfg = run.settings.rag or RagConfig(probes=run.config.rag_probes, seed=run.settings.seed)
    return run.with_adapter(lambda retriever: audit_rag(
        retriever, run.inputs.tenants, run.requesters, texts=run.inputs.texts, foreign=run.foreign,
        secret=run.inputs.secret, neutral=run.inputs.neutral, config=cfg, adapter=run.label))


def _memory(run: AuditRun) -> R.SegmentationReport:
    # the audit re-creates the store from its factory, so it gets `connect` rather than one adapter
    return audit_memory(run.connect, run.inputs.tenants, run.requesters, secret=run.inputs.secret,
                        foreign=run.foreign, config=run.settings.memory or MemoryConfig(seed=run.settings.seed),
                        adapter=run.label)


def _tools(run: AuditRun) -> R.SegmentationReport:
    cfg = run.settings.tools or ToolsConfig(seed=run.settings.seed)
    return run.with_adapter(lambda tools: audit_tools(
        tools, run.inputs.tenants, run.requesters, foreign=run.foreign, config=cfg, adapter=run.label))


def _context(run: AuditRun) -> R.SegmentationReport:
    if run.inputs.log_rows is None:
        return R.not_run(run.kind, "no inference log configured", requesters=run.requesters)
    return audit_context(run.inputs.log_rows, run.inputs.tenants, run.requesters, foreign=run.foreign,
                         config=run.settings.context, source=run.inputs.log_label,
                         with_data=[t.id for t in run.inputs.tenants if run.inputs.texts(t.id)])


BUILTIN: tuple[AuditKind, ...] = (
    AuditKind("rag_boundary", adapter="retriever", run=_rag,
              description="Retrieval as this tenant never returns another tenant's documents, canaries or text, "
                          "and other tenants' documents do not take its top-k slots (filter before ranking)"),
    AuditKind("memory_isolation", adapter="memory", run=_memory,
              description="Reads and searches from this tenant's sessions never return another tenant's memory, "
                          "for same and colliding session ids, old and recent sessions, after re-creating the store"),
    AuditKind("tool_scope", adapter="tools", run=_tools,
              description="No shared-scope tool over tenant data; every tool refuses (or returns nothing) when this "
                          "tenant calls it with another tenant's resources"),
    AuditKind("context_contamination", run=_context,
              description="No logged model context (prompt) of this tenant holds another tenant's data, canaries "
                          "or system prompt"),
)


def registered(refs: Sequence[str] = ()) -> tuple[AuditKind, ...]:
    """The built-in kinds, then the plug-ins: entry points of `tenantguard.audit_kinds`, then `refs`."""
    table = list(BUILTIN)
    for entry in discover("audit_kinds", refs):
        if not isinstance(entry, AuditKind):
            raise ConfigError(f"an audit-kind plug-in returned {type(entry).__name__}; its factory must return an "
                              f"AuditKind from tenantguard.evaluations.segmentation.kinds "
                              f"(docs/extending/audit-kinds.md)")
        if any(k.name == entry.name for k in table):
            raise ConfigError(f"audit kind {entry.name!r} is registered twice (built-in, entry point or "
                              f"TENANTGUARD_AUDIT_KINDS); give the plug-in kind another name")
        table.append(entry)
    return tuple(table)


def select(table: Sequence[AuditKind], names: Sequence[str] | None = None) -> tuple[AuditKind, ...]:
    """The kinds named, in table order (all of them when `names` is None); ConfigError for an unknown name."""
    known = [k.name for k in table]
    unknown = [n for n in names or () if n not in known]
    if unknown:
        raise ConfigError(f"unknown audit kind(s) {unknown}; registered: {known} (add a kind with "
                          f"TENANTGUARD_AUDIT_KINDS=module:function, docs/extending/audit-kinds.md)")
    return tuple(k for k in table if names is None or k.name in names)

"""Run the four segmentation audits for some requesters against the configured adapters (pure: inputs in,
reports out). Which adapter each audit ran against is in its report; a missing adapter is `not_run`."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence

from tenantguard.errors import UnknownTenant
from tenantguard.evaluations.canaries import make_canaries
from tenantguard.evaluations.fingerprint import FingerprintIndex
from tenantguard.evaluations.segmentation import report as R
from tenantguard.evaluations.segmentation.adapters import AdapterFailure, SegmentationConfig, instantiate
from tenantguard.evaluations.segmentation.context import ContextConfig, audit_context
from tenantguard.evaluations.segmentation.evidence import CanaryMatcher, ForeignData, segmentation_canaries
from tenantguard.evaluations.segmentation.memory import MemoryConfig, audit_memory
from tenantguard.evaluations.segmentation.rag import RagConfig, audit_rag
from tenantguard.evaluations.segmentation.tools import ToolsConfig, audit_tools
from tenantguard.tenants import Tenant


@dataclass(frozen=True)
class SegmentationInputs:
    tenants: tuple[Tenant, ...]
    secret: bytes
    index: FingerprintIndex | None = None  # every tenant's corpus + system prompt, base corpus not attributable
    texts: Callable[[str], Sequence[str]] = lambda tid: ()  # a tenant's own texts (no canaries): probe material
    neutral: tuple[str, ...] = ()
    log_rows: Callable[[str], Iterable[dict]] | None = None
    log_label: str = "inference_log"


@dataclass(frozen=True)
class AuditSettings:
    seed: int = 0
    rag: RagConfig | None = None  # None: RagConfig(probes=<segmentation.yaml rag_probes>, seed=seed)
    memory: MemoryConfig | None = None
    tools: ToolsConfig | None = None
    context: ContextConfig = field(default_factory=ContextConfig)


def _matcher(inputs: SegmentationInputs) -> CanaryMatcher:
    """Every tenant's training canaries and the canaries the RAG audit plants: none may reach another tenant."""
    m = CanaryMatcher()
    for t in inputs.tenants:
        m.add(t.id, make_canaries(inputs.secret, t.id))
        m.add(t.id, segmentation_canaries(inputs.secret, t.id, "rag"))
    return m


def run_audits(inputs: SegmentationInputs, config: SegmentationConfig, requesters: Sequence[str], *,
               kinds: Sequence[str] = R.KINDS, settings: AuditSettings = AuditSettings()) -> list[R.SegmentationReport]:
    known = {t.id for t in inputs.tenants}
    for r in requesters:
        if r not in known:
            raise UnknownTenant(f"unknown tenant {r!r}; add it to tenants.yaml")
    unknown = [k for k in kinds if k not in R.KINDS]
    if unknown:
        raise ValueError(f"Expected kinds in {R.KINDS}, got {unknown}")
    where = str(config.path) if config.path else "segmentation.yaml (no such file in the home)"
    prompts = {t.id: t.system_prompt for t in inputs.tenants}

    def own(tid: str) -> list[str]:
        return [*inputs.texts(tid), prompts.get(tid, "")]

    out = []
    for kind in kinds:
        foreign = ForeignData(inputs.index, _matcher(inputs), own=own)
        out.append(_run_one(kind, inputs, config, list(requesters), foreign, settings, where))
    return out


def _run_one(kind, inputs, config, requesters, foreign, s: AuditSettings, where: str) -> R.SegmentationReport:
    if kind == "context_contamination":
        if inputs.log_rows is None:
            return R.not_run(kind, "no inference log configured", requesters=requesters)
        return audit_context(inputs.log_rows, inputs.tenants, requesters, foreign=foreign, config=s.context,
                             source=inputs.log_label)
    key = {"rag_boundary": "retriever", "memory_isolation": "memory", "tool_scope": "tools"}[kind]
    factory = config.factory(key)
    if factory is None:
        return R.not_run(kind, f"no '{key}' factory in {where}; add '{key}: module:function' to audit it",
                         requesters=requesters)
    if kind == "memory_isolation":
        cfg = s.memory or MemoryConfig(seed=s.seed)
        return audit_memory(lambda: instantiate(factory, timeout_s=config.timeout_s), inputs.tenants, requesters,
                            secret=inputs.secret, foreign=foreign, config=cfg, adapter=factory.label)
    try:
        adapter = instantiate(factory, timeout_s=config.timeout_s)
    except AdapterFailure as exc:
        return R.build(kind, adapters=[factory.label], requesters=requesters, findings=(), errors=[str(exc)])
    try:
        if kind == "rag_boundary":
            cfg = s.rag or RagConfig(probes=config.rag_probes, seed=s.seed)
            return audit_rag(adapter, inputs.tenants, requesters, texts=inputs.texts, foreign=foreign,
                             secret=inputs.secret, neutral=inputs.neutral, config=cfg, adapter=factory.label)
        cfg = s.tools or ToolsConfig(seed=s.seed)
        return audit_tools(adapter, inputs.tenants, requesters, foreign=foreign, config=cfg, adapter=factory.label)
    finally:
        adapter.close()

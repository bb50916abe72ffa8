"""What the segmentation audits run on (pure data): the tenants, the project secret, the fingerprint index
and probe texts of every tenant, the inference log, and per-audit settings a caller may override."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence

from tenantguard.evaluations.fingerprint import FingerprintIndex
from tenantguard.evaluations.segmentation.context import ContextConfig
from tenantguard.evaluations.segmentation.memory import MemoryConfig
from tenantguard.evaluations.segmentation.rag_plan import RagConfig
from tenantguard.evaluations.segmentation.tools import ToolsConfig
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
    seed: int = 0  # every kind samples with it (plug-in kinds too)
    rag: RagConfig | None = None  # None: RagConfig(probes=<segmentation.yaml rag_probes>, seed=seed)
    memory: MemoryConfig | None = None
    tools: ToolsConfig | None = None
    context: ContextConfig = field(default_factory=ContextConfig)

"""Segmentation verification at the AI layer: RAG retrieval boundaries, memory/session isolation, agent
tool scopes and prompt-context contamination, probed through the platform's own components
(docs/contracts.md "Segmentation adapters") with canaries and fingerprints. One table of audit kinds
(kinds.py) drives the runner, the CLI and the Dagster checks. Pure: no dagster, no mlflow."""
from tenantguard.evaluations.segmentation.adapters import AdapterFailure as AdapterFailure
from tenantguard.evaluations.segmentation.adapters import Guarded as Guarded
from tenantguard.evaluations.segmentation.adapters import SegmentationConfig as SegmentationConfig
from tenantguard.evaluations.segmentation.config_file import load_config as load_config
from tenantguard.evaluations.segmentation.context import ContextConfig as ContextConfig
from tenantguard.evaluations.segmentation.context import audit_context as audit_context
from tenantguard.evaluations.segmentation.error_budget import ErrorBudget as ErrorBudget
from tenantguard.evaluations.segmentation.inputs import AuditSettings as AuditSettings
from tenantguard.evaluations.segmentation.inputs import SegmentationInputs as SegmentationInputs
from tenantguard.evaluations.segmentation.kinds import AuditKind as AuditKind
from tenantguard.evaluations.segmentation.kinds import AuditRun as AuditRun
from tenantguard.evaluations.segmentation.memory import MemoryConfig as MemoryConfig
from tenantguard.evaluations.segmentation.memory import audit_memory as audit_memory
from tenantguard.evaluations.segmentation.rag import audit_rag as audit_rag
from tenantguard.evaluations.segmentation.rag_plan import RagConfig as RagConfig
from tenantguard.evaluations.segmentation.report import Finding as Finding
from tenantguard.evaluations.segmentation.report import SegmentationReport as SegmentationReport
from tenantguard.evaluations.segmentation.runner import run_audits as run_audits
from tenantguard.evaluations.segmentation.tools import ToolsConfig as ToolsConfig
from tenantguard.evaluations.segmentation.tools import audit_tools as audit_tools

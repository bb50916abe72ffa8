"""The demo's own small multi-tenant AI platform (a RAG retriever, conversation memory, agent tools), in
correct and misconfigured variants, for the segmentation audits to find its planted bugs."""
from tenantguard.demo.platform.showcase import VARIANTS as VARIANTS
from tenantguard.demo.platform.showcase import demo_segmentation as demo_segmentation

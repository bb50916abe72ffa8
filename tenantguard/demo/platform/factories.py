"""Zero-argument factories for `segmentation.yaml`, one per variant of the demo platform.

Each reads the tenantguard home from the environment (TENANTGUARD_HOME), as a platform adapter
would read its own deployment config. Misconfigured: `make_postfilter_retriever`,
`make_prompt_filter_retriever`, `make_tenantless_cache_memory`, `make_shared_scope_tools`.
Correct: `make_prefilter_retriever`, `make_memory`, `make_scoped_tools`.
"""
from __future__ import annotations

from pathlib import Path

from tenantguard.demo.platform.documents import documents_from_home
from tenantguard.demo.platform.memory import DemoSessionStore
from tenantguard.demo.platform.retriever import DemoRetriever
from tenantguard.demo.platform.tools import DemoToolSet

_DOCS: dict[tuple, dict] = {}


def _home() -> Path:
    from tenantguard.config import Settings

    return Settings.from_env().home


def documents() -> dict[str, list[dict]]:
    """The platform's documents for the current home (cached until tenants.yaml changes)."""
    from tenantguard.config import Settings

    home = _home()
    tenants_file = Settings.from_env().tenants_file
    key = (str(home), tenants_file.stat().st_mtime_ns if tenants_file.exists() else 0)
    if key not in _DOCS:
        _DOCS.clear()
        _DOCS[key] = documents_from_home(home)
    return _DOCS[key]


def make_prefilter_retriever() -> DemoRetriever:
    return DemoRetriever(documents(), mode="prefilter")


def make_postfilter_retriever() -> DemoRetriever:
    return DemoRetriever(documents(), mode="postfilter")


def make_prompt_filter_retriever() -> DemoRetriever:
    return DemoRetriever(documents(), mode="prompt")


def make_memory() -> DemoSessionStore:
    return DemoSessionStore(_home() / "demo-platform" / "memory.db", tenant_in_cache_key=True)


def make_tenantless_cache_memory() -> DemoSessionStore:
    return DemoSessionStore(_home() / "demo-platform" / "memory.db", tenant_in_cache_key=False)


def make_scoped_tools() -> DemoToolSet:
    return DemoToolSet(documents(), shared_ticket_tool=False)


def make_shared_scope_tools() -> DemoToolSet:
    return DemoToolSet(documents(), shared_ticket_tool=True)

"""`demo_segmentation`: audit the demo platform's misconfigured and correct variants and say what was caught.

Writes `<home>/segmentation.misconfigured.yaml` and `<home>/segmentation.correct.yaml`, serves a few
requests per tenant through each retriever into an inference log (the full model context is the
logged prompt), runs the four audits for every tenant and leaves the correct variant as
`<home>/segmentation.yaml` (so the daily schedule audits a clean platform; point `--config` at the
misconfigured file to see the failures again). Only the correct variant serves into the home's
inference log: a misconfigured one serves into its own, `<home>/segmentation.<variant>.log.db`, so the
home's log holds what the story says the platform now serves (no other tenant's data in any context).
"""
from __future__ import annotations

import dataclasses
import shutil
import time
from datetime import datetime, timezone
from typing import Callable

from tenantguard.config import Settings
from tenantguard.evaluations.oneline import one_line

FACTORIES = "tenantguard.demo.platform.factories"
VARIANTS = {
    "misconfigured": {"retriever": "make_postfilter_retriever", "memory": "make_tenantless_cache_memory",
                      "tools": "make_shared_scope_tools"},
    "misconfigured-prompt-filter": {"retriever": "make_prompt_filter_retriever"},
    "correct": {"retriever": "make_prefilter_retriever", "memory": "make_memory", "tools": "make_scoped_tools"},
}
QUESTIONS_PER_TENANT = 3


def write_variant(settings: Settings, name: str, *, path=None):
    """segmentation.<name>.yaml naming the variant's factories (policy: alert only; the demo flips nothing)."""
    path = path or settings.home / f"segmentation.{name}.yaml"
    lines = [f"# demo platform, {name} variant (tenantguard.demo.platform)"]
    lines += [f"{key}: {FACTORIES}:{fn}" for key, fn in VARIANTS[name].items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def variant_settings(settings: Settings, name: str) -> Settings:
    """The settings a variant serves and is audited under: a misconfigured one logs to its own inference log."""
    if name == "correct":
        return settings
    return dataclasses.replace(settings, inference_log_override=f"sqlite:///{settings.home / f'segmentation.{name}.log.db'}")


def serve_requests(settings: Settings, retriever_factory: str, *, per_tenant: int = QUESTIONS_PER_TENANT) -> int:
    """Serve a few questions per tenant through a retriever variant into the inference log; returns the
    id the rows start after (the context audit reads only what this variant served)."""
    from tenantguard.demo.platform import factories
    from tenantguard.monitoring.inference_log import InferenceLog
    from tenantguard.tenants import load_tenants

    log = InferenceLog(settings.inference_log_url)
    cursor = log.max_id()
    retriever = getattr(factories, retriever_factory)()
    docs = factories.documents()
    tenants = load_tenants(settings.tenants_file)
    now = datetime.now(timezone.utc).isoformat()
    rows = []
    for t in tenants:
        # questions a customer of the tenant asks (a tenant without documents asks generic ones)
        own = docs.get(t.id) or []
        questions = [d["text"].split("\n")[0] for d in own[-per_tenant:]] or \
            ["how do I update my address?", "what are your opening hours?", "where can I find my invoice?"][:per_tenant]
        for i, q in enumerate(questions):
            rows.append({"ts": now, "tenant_id": t.id, "feature": t.features[0], "region": t.region,
                         "session_id": f"seg-demo-{t.id}-{i}", "model_version": "demo-platform",
                         "prompt": retriever.prompt_context(t.id, t.system_prompt, q),
                         "completion": "Thanks, I have looked into this for you."})
    log.append(rows)
    return cursor


def short_summary(settings: Settings, report) -> str:
    """The report's summary, whole, with the factories' module path (the variant file names it) and the
    home's path (the first line of the demo prints it) left out."""
    return report.summary().replace(f"{FACTORIES}:", "").replace(str(settings.home), "<home>")


def demo_segmentation(settings: Settings, echo: Callable[[str], None] = print, *, seed: int = 7) -> list[str]:
    """Run the audits against every variant; print and return one line per (variant, audit)."""
    from tenantguard.evaluations.segmentation.config_file import load_config
    from tenantguard.gates.segmentation import run_from_home

    outcomes: list[str] = []
    echo("[8] AI-layer segmentation audits of the demo platform (RAG, memory, tools, prompt context)")
    for name in VARIANTS:
        t0 = time.monotonic()
        path = write_variant(settings, name)
        served = variant_settings(settings, name)
        cursor = serve_requests(served, VARIANTS[name]["retriever"])
        kinds = ("rag_boundary", "context_contamination") if name.endswith("prompt-filter") else None
        reports = run_from_home(served, config=load_config(path), seed=seed, log_after_id=cursor,
                                **({"kinds": kinds} if kinds else {}))
        echo(f"    {name} ({path.name}, {time.monotonic() - t0:.1f}s)")
        for r in reports:
            summary = short_summary(settings, r)
            outcomes.append(f"{name}: {summary}")
            echo(f"      {summary}")
            if r.findings and r.kind != "context_contamination":  # its findings name log rows, new every run
                f = r.findings[0]
                echo(f"        e.g. {one_line(f'[{f.kind}] {f.who()}: {f.probe}', 160)}")
    shutil.copyfile(settings.home / "segmentation.correct.yaml", settings.home / "segmentation.yaml")
    echo("    segmentation.yaml now names the correct platform and the inference log holds only its traffic; "
         "`tenantguard audit segmentation --config <home>/segmentation.misconfigured.yaml` shows the failures "
         "(with TENANTGUARD_INFERENCE_LOG_URL=sqlite:///<home>/segmentation.misconfigured.log.db, its logged contexts too)")
    return outcomes

"""Run the isolation audit for one tenant's candidate, record it in MLflow, tag the version.

The shared base the candidate was tuned from is audited too (once per base version and set of
prepared datasets, cached in the base version's tags): a base that holds a tenant's data taints
every model built on it.
"""
from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from tenantguard.config import Settings
from tenantguard.errors import TenantGuardError
from tenantguard.registry import client as R
from tenantguard.registry import tags as T
from tenantguard.tenants import Tenant

HTML_REPORT = "isolation_report.html"


@dataclass(frozen=True)
class IsolationOutcome:
    name: str
    version: str
    verdict: str
    reason: str
    metrics: dict[str, float] = field(default_factory=dict)
    rows: list[dict] = field(default_factory=list)
    failed_sources: list[str] = field(default_factory=list)
    mlflow_run_id: str = ""
    base_summary: str = ""
    power: str = ""  # smallest contamination detected with 95% power on the candidate's kind


def evaluate_isolation(settings: Settings, reg: R.Registry, tenants: Sequence[Tenant], tenant: Tenant, feature: str,
                       *, run_id: str | None = None, version: str | None = None) -> IsolationOutcome:
    import mlflow

    from tenantguard.evaluations.isolation import AuditConfig, audit_isolation
    from tenantguard.evaluations.isolation_html import isolation_html
    from tenantguard.evaluations.oneline import one_line
    from tenantguard.home.corpora import isolation_inputs
    from tenantguard.models.adapter import load_tenant_model
    from tenantguard.registry.promotion import audit_to_log, reject, settle_version

    reg.check_reachable()
    name = T.model_name(feature, tenant.id)
    version = version or reg.alias_version(name, "candidate")
    if version is None:
        raise TenantGuardError(f"{name} has no `candidate` alias: run candidate_model first")
    mv = reg.client.get_model_version(name, version)
    base_name = T.model_name(feature, T.BASE_TENANT)
    base_version = mv.tags.get(T.TAG_BASE_VERSION) or reg.alias_version(base_name, "champion")
    inputs, missing = isolation_inputs(settings, tenants, tenant.id)
    if tenant.id not in {c.tenant_id for c in inputs.corpora}:
        raise TenantGuardError(f"tenant {tenant.id!r} has no prepared dataset: run finetune_dataset first")
    raw_base = load_tenant_model(f"models:/{base_name}/{base_version}", f"{base_name}/{base_version}") if base_version else None
    base = cached_base(settings, reg, raw_base, base_name, base_version) if raw_base is not None else None
    base_verdict, base_summary, base_failed = base_audit(settings, reg, tenants, base_name, base_version, base, inputs)
    if not inputs.sources:
        report = None
        verdict, reason, metrics, rows, failed = "passed", "no other tenant has prepared data", {}, [], []
    else:
        from tenantguard.models.reference import reference_for

        candidate = load_tenant_model(f"models:/{name}/{version}", f"{name}/{version}")
        ref = reference_for(candidate, raw_base)
        ref = cached_base(settings, reg, ref, base_name, base_version) if ref is not None else None
        report = audit_isolation(candidate, inputs, base=ref,
                                 config=AuditConfig(alpha=settings.thresholds.isolation_alpha))
        verdict, reason = report.verdict, report.summary()
        metrics, rows, failed = report.metrics(), report.rows(), report.failed_sources
    if base_verdict != "passed":
        verdict = "failed" if base_verdict == "failed" else ("error" if verdict == "passed" else verdict)
        reason = f"shared base {base_name}/{base_version}: {base_summary}; " + reason
        failed = sorted(set(failed) | set(base_failed))
    if missing:
        reason += f" (not audited as sources, no prepared data: {', '.join(missing[:10])})"
    exp = reg.experiment_id(T.tenant_experiment(tenant.id))
    with mlflow.start_run(experiment_id=exp, run_name=f"isolation {name} v{version}",
                          tags={"kind": "isolation", T.TAG_TENANT: tenant.id, T.TAG_FEATURE: feature,
                                T.TAG_RUN_MODEL: name, T.TAG_RUN_VERSION: str(version),
                                T.TAG_RUN_VERDICT: verdict, **({"dagster.run_id": run_id} if run_id else {})}) as run:
        mlflow.log_metrics({k: float(v) for k, v in metrics.items() if v == v})
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "isolation_report.json"
            doc = report.to_dict() if report else {"verdict": verdict, "summary": reason}
            doc["base_audit"] = {"model": f"{base_name}/{base_version}", "verdict": base_verdict, "summary": base_summary}
            path.write_text(json.dumps(doc, indent=2, allow_nan=False))
            mlflow.log_artifact(str(path))
            (Path(tmp) / HTML_REPORT).write_text(isolation_html(doc), encoding="utf-8")
            mlflow.log_artifact(str(Path(tmp) / HTML_REPORT))
    reg.tag_version(name, version, {T.TAG_ISOLATION: verdict, T.TAG_ISOLATION_SUMMARY: one_line(reason, 1000),
                                    T.TAG_ISOLATION_REPORT: f"runs:/{run.info.run_id}/{HTML_REPORT}"})
    if verdict != "passed":
        reject(reg, name, version, reject_reason(verdict, reason),
               audit_to_log(settings, actor="dagster:isolation_report"), run_id=run_id)
    settle_version(reg, name, version)
    return IsolationOutcome(name, str(version), verdict, reason, metrics, rows, failed, run.info.run_id, base_summary,
                            report.power if report else "")


def cached_base(settings: Settings, reg: R.Registry, base, base_name: str, base_version: str):
    """The base with its scores and completions cached per base version (home/score_cache.py)."""
    from tenantguard.home.score_cache import ScoreCache, cache_path
    from tenantguard.models.cached import CachedReference

    mv = reg.client.get_model_version(base_name, base_version)
    digest = mv.tags.get(T.TAG_DIGEST) or mv.run_id or ""
    return CachedReference(base, ScoreCache(cache_path(settings.home, base_name, base_version, digest), settings.secret()))


def reject_reason(verdict: str, reason: str) -> str:
    """'isolation <verdict>: <why>', once: the audit's own summary already starts that way."""
    prefix = f"isolation {verdict}: "
    return reason if reason.startswith(prefix) else prefix + reason


def base_audit(settings, reg, tenants, base_name, base_version, base, inputs=None) -> tuple[str, str, list[str]]:
    """(verdict, summary, tenants whose data the base holds), cached on the base version's tags.

    'not_run' when no tenant has prepared data yet (a first install): there is nothing to leak.
    """
    from tenantguard.evaluations.isolation import audit_base
    from tenantguard.home.corpora import corpora_key, isolation_inputs

    if base is None:
        return "error", "no base model registered", []
    tags = reg.client.get_model_version(base_name, base_version).tags
    overlap = json.loads(tags.get(T.TAG_CORPUS_OVERLAP) or "{}")
    if overlap:  # found when the base was registered: its training corpus holds tenant data
        what = ", ".join(f"{n} text(s) of {t}" for t, n in sorted(overlap.items()))
        return "failed", f"the base's training corpus holds tenant data: {what}", sorted(overlap)
    if inputs is None:
        inputs, _ = isolation_inputs(settings, tenants, None)
    if not inputs.corpora:
        return "not_run", "no tenant has prepared data yet", []
    key = corpora_key(settings, tenants)
    if tags.get(T.TAG_ISOLATION_KEY) == key and tags.get(T.TAG_ISOLATION):
        failed = json.loads(tags.get(T.TAG_ISOLATION_FAILED, "[]"))
        return tags[T.TAG_ISOLATION], tags.get(T.TAG_ISOLATION_SUMMARY, ""), failed
    report = audit_base(base, inputs)
    reg.tag_version(base_name, base_version, {T.TAG_ISOLATION: report.verdict, T.TAG_ISOLATION_KEY: key,
                                              T.TAG_ISOLATION_SUMMARY: report.summary()[:4000],
                                              T.TAG_ISOLATION_FAILED: json.dumps(report.failed_sources)})
    return report.verdict, report.summary(), report.failed_sources

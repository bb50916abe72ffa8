"""Run the behavior suite for one tenant's candidate against the champion's stored baseline; record it
in MLflow (profile, evidently HTML, metrics), tag the version.

The baseline is the champion's profile on the same suite version and tenant configuration, stored as
the artifact `behavior/profile.json` of an evaluation run the champion version points to
(`tenantguard.baseline_run_id`). A candidate's own profile is stored the same way, so on its first
promotion it becomes the baseline; a suite or configuration change recomputes it from the champion.

`tenantguard eval behavior` computes with the same functions (`behavior_setup`, `profile_model`,
`champion_baseline`), so the CLI and the `behavioral_baseline` check give one verdict on one model.
"""
from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence

from tenantguard.config import Settings
from tenantguard.errors import TenantGuardError
from tenantguard.registry import client as R
from tenantguard.registry import tags as T
from tenantguard.tenants import Tenant

if TYPE_CHECKING:  # the evaluation core loads pandas and numpy: imported where used
    from tenantguard.evaluations.descriptors import Scanner
    from tenantguard.evaluations.probes import ProbeSuite

PROFILE_ARTIFACT = "behavior/profile.json"


@dataclass(frozen=True)
class BehaviorOutcome:
    name: str
    version: str
    verdict: str
    status: str
    reason: str
    metrics: dict[str, float] = field(default_factory=dict)
    rows: list[dict] = field(default_factory=list)
    mlflow_run_id: str = ""
    html_uri: str = ""
    baseline_note: str = ""


@dataclass(frozen=True)
class BehaviorSetup:
    """What every profile of one evaluation is computed with, from the CLI as from Dagster: the probe suite,
    every tenant's system prompt (disclosure; another tenant's prompt is a cross-tenant hit) and every tenant's
    corpus (cross-tenant hits, on every probe whatever its category), the base corpus not attributable."""

    suite: ProbeSuite
    prompt_scanner: Scanner
    corpus_scanner: Scanner
    known_texts: Callable[[Tenant], Sequence[str]] = lambda tenant: ()  # what a tenant's model may compose from


def behavior_setup(settings: Settings, tenants: Sequence[Tenant]) -> BehaviorSetup:
    from tenantguard.evaluations.descriptors import prompt_index
    from tenantguard.evaluations.probes import load_suites
    from tenantguard.home.corpora import cached_index, read_base_corpus, tenant_corpora

    base = read_base_corpus(settings, required=False)

    def known_texts(tenant: Tenant) -> list[str]:
        corpora, _ = tenant_corpora(settings, [tenant])
        return [*(t for c in corpora for t in c.texts()), *base]

    return BehaviorSetup(load_suites(settings.probes_dir), prompt_index(tenants, base_texts=base),
                         cached_index(settings, tenants), known_texts)


def profile_model(setup: BehaviorSetup, tenant: Tenant, model):
    """`model` (a TenantModel) probed under `tenant`'s configuration, every output described."""
    from tenantguard.evaluations.behavior import profile_behavior

    return profile_behavior(model, tenant, setup.suite, prompt_scanner=setup.prompt_scanner,
                            corpus_scanner=setup.corpus_scanner, known_texts=setup.known_texts(tenant))


def profile(settings: Settings, tenants: Sequence[Tenant], tenant: Tenant, model_uri: str, *,
            setup: BehaviorSetup | None = None):
    from tenantguard.models.adapter import load_tenant_model

    return profile_model(setup or behavior_setup(settings, tenants), tenant, load_tenant_model(model_uri, model_uri))


def behavior_metrics(settings: Settings, tenant: Tenant, model_uri: str) -> dict[str, float]:
    from tenantguard.tenants import load_tenants

    return profile(settings, load_tenants(settings.tenants_file), tenant, model_uri).summary()


def champion_baseline(settings: Settings, reg: R.Registry, setup: BehaviorSetup, tenant: Tenant, feature: str, *,
                      candidate_version: str | None = None, store_tags: dict | None = None):
    """(the champion's baseline profile or None, a note saying which baseline it is).

    The champion's stored profile when it was computed on this suite and tenant configuration, else the
    champion profiled now (and, given `store_tags`, stored as its baseline run). None when there is no
    champion, or the candidate is the champion.
    """
    from tenantguard.evaluations.baseline import needs_recompute
    from tenantguard.evaluations.behavior import config_hash

    name = T.model_name(feature, tenant.id)
    champion = reg.alias_version(name, "champion")
    if champion is None or champion == candidate_version:
        return None, "no champion yet: this candidate's profile becomes the baseline on promotion"
    baseline = load_baseline(reg, name, champion)
    if baseline is not None and not needs_recompute(baseline, suite_version=setup.suite.version,
                                                    config_hash=config_hash(tenant)):
        return baseline, f"compared with champion v{champion}'s baseline"
    why = "missing" if baseline is None else f"suite {baseline.suite_version} -> {setup.suite.version}"
    baseline = profile(settings, (), tenant, f"models:/{name}/{champion}", setup=setup)
    if store_tags is not None:
        exp = reg.experiment_id(T.tenant_experiment(tenant.id))
        brun, _ = _log_profile_run(reg, exp, f"baseline {name} v{champion}", baseline,
                                   {**store_tags, **baseline.tags(), "kind": "behavior-baseline",
                                    T.TAG_RUN_VERSION: champion})
        reg.tag_version(name, champion, {T.TAG_BASELINE_RUN: brun, **baseline.tags()})
    return baseline, f"baseline recomputed from champion v{champion} ({why})"


def load_baseline(reg: R.Registry, name: str, version: str):
    from tenantguard.evaluations.behavior import BehaviorProfile

    run_id = reg.client.get_model_version(name, version).tags.get(T.TAG_BASELINE_RUN)
    if not run_id:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        path = reg.client.download_artifacts(run_id, PROFILE_ARTIFACT, tmp)
        return BehaviorProfile.load(Path(path))


def _log_profile_run(reg, exp: str, run_name: str, prof, tags: dict, *, report=None) -> tuple[str, str]:
    import mlflow

    html_uri = ""
    with mlflow.start_run(experiment_id=exp, run_name=run_name, tags=tags) as run:
        with tempfile.TemporaryDirectory() as tmp:
            prof.save(Path(tmp) / "profile.json")
            mlflow.log_artifact(str(Path(tmp) / "profile.json"), "behavior")
            if report is not None:
                mlflow.log_metrics({k: float(v) for k, v in report.metrics().items() if v == v})
                if report.save_html(Path(tmp) / "behavior_drift.html"):
                    mlflow.log_artifact(str(Path(tmp) / "behavior_drift.html"), "behavior")
                    html_uri = f"{run.info.artifact_uri}/behavior/behavior_drift.html"
    return run.info.run_id, html_uri


def evaluate_behavior(settings: Settings, reg: R.Registry, tenants: Sequence[Tenant], tenant: Tenant, feature: str,
                      *, run_id: str | None = None) -> BehaviorOutcome:
    from tenantguard.evaluations.baseline import compare_behavior
    from tenantguard.evaluations.oneline import one_line
    from tenantguard.registry.promotion import audit_to_log, reject, settle_version

    reg.check_reachable()
    name = T.model_name(feature, tenant.id)
    version = reg.alias_version(name, "candidate")
    if version is None:
        raise TenantGuardError(f"{name} has no `candidate` alias: run candidate_model first")
    setup = behavior_setup(settings, tenants)
    cand = profile(settings, tenants, tenant, f"models:/{name}/{version}", setup=setup)
    exp = reg.experiment_id(T.tenant_experiment(tenant.id))
    base_tags = {T.TAG_TENANT: tenant.id, T.TAG_FEATURE: feature, T.TAG_RUN_MODEL: name,
                 **({"dagster.run_id": run_id} if run_id else {})}
    baseline, note = champion_baseline(settings, reg, setup, tenant, feature, candidate_version=str(version),
                                       store_tags=base_tags)
    report = compare_behavior(cand, baseline, settings.thresholds)
    erun, html_uri = _log_profile_run(reg, exp, f"behavior {name} v{version}", cand,
                                      {**base_tags, **cand.tags(), "kind": "behavior", T.TAG_RUN_VERSION: str(version),
                                       T.TAG_RUN_VERDICT: report.verdict}, report=report)
    reg.tag_version(name, version, {T.TAG_BEHAVIOR: report.verdict, T.TAG_BASELINE_RUN: erun, **cand.tags(),
                                    T.TAG_BEHAVIOR_SUMMARY: one_line(report.summary(), 1000)})
    if report.verdict != "passed":
        reject(reg, name, version, reject_reason(report), audit_to_log(settings, actor="dagster:behavior_report"),
               run_id=run_id)
    settle_version(reg, name, version)
    return BehaviorOutcome(name, str(version), report.verdict, report.status, report.summary(), report.metrics(),
                           report.rows(), erun, html_uri, note)


def reject_reason(report) -> str:
    """One line for the rejected_reason tag and the audit entry: the blocking tests that did not pass."""
    head = f"behavior {report.verdict}: tenant {report.tenant_id}, suite {report.suite_version}"
    bad = [f"{t.name}: {t.reason}" for t in report.tests if t.blocking and t.status != "passed"]
    return f"{head}: {'; '.join(bad)}" if bad else f"{head}: no blocking test passed"

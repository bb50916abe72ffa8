"""Register the shared base and tenant candidates in MLflow with lineage, through the configured tuner
(models.tuners; the gate owns names, tags, reuse and aliases, the tuner only trains and logs).

Both are idempotent: the newest version with the same data digest (and base version) is reused if the same
tuner made it (tag tenantguard.tuner, absent for the default) and its run logged the tuner's current params.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from tenantguard.config import Settings
from tenantguard.errors import TenantGuardError
from tenantguard.home.corpora import read_base_corpus
from tenantguard.home.prepared import PreparedData
from tenantguard.models.tuner import BaseRef, Stage, Tuner
from tenantguard.models.tuners import DEFAULT, tuner_for
from tenantguard.registry import client as R
from tenantguard.registry import tags as T
from tenantguard.registry.versions import Registered
from tenantguard.registry.chain import audit_to_log



@dataclass(frozen=True)
class BaseOutcome:
    registered: Registered
    champion: str | None
    audit_verdict: str  # passed | failed | error | not_run
    audit_summary: str


def register_base(settings: Settings, reg: R.Registry, feature: str, tenants=(), *,
                  run_id: str | None = None) -> BaseOutcome:
    """Train and register the base on the base corpus; it becomes champion only if it holds no tenant's data.

    The audit runs against every tenant with prepared data (none on a first install: 'not_run').
    """
    import mlflow

    tuner = tuner_for(settings)
    texts = read_base_corpus(settings)
    digest = hashlib.sha256("\n\x1e".join(texts).encode()).hexdigest()[:16]
    name = T.model_name(feature, T.BASE_TENANT)
    tags = {T.TAG_TENANT: T.BASE_TENANT, T.TAG_FEATURE: feature, T.TAG_DIGEST: digest, **_tuner_tag(tuner)}
    existing = _reusable(reg, name, tags, tuner, "base")
    reused = existing is not None
    if existing is None:
        exp = reg.experiment_id(T.tenant_experiment(T.BASE_TENANT))
        with mlflow.start_run(experiment_id=exp, run_name=f"base {feature}", tags=tags) as run:
            mlflow.log_params({**tuner.params("base"), "corpus_texts": len(texts)})
            model_uri = tuner.log_model(tuner.train_base(texts, settings=settings))
        existing = reg.register(name, model_uri, run.info.run_id, {**tags, T.TAG_STATUS: "candidate"})
    version = str(existing.version)
    if not reused:
        _tag_corpus_overlap(settings, reg, tenants, name, version, texts)
    verdict, summary = _audit_base_version(settings, reg, tenants, name, version)
    audit = audit_to_log(settings, actor="dagster:base_model")
    before = reg.alias_version(name, "champion")
    if verdict in ("passed", "not_run"):
        if before != version:
            audit.authorize("promote", {"model": name})
            reg.point_alias(name, "champion", version)
            audit(action="promote", scope={"model": name}, before=before, after=version,
                  reason=f"base_isolation {verdict}: {summary}", run_id=run_id)
        reg.tag_version(name, version, {T.TAG_STATUS: "promoted"})
    elif existing.tags.get(T.TAG_STATUS) != "rejected":
        audit.authorize("reject", {"model": name, "version": version})
        reg.tag_version(name, version, {T.TAG_STATUS: "rejected", T.TAG_REJECTED_REASON: summary[:500]})
        audit(action="reject", scope={"model": name, "version": version}, before=existing.tags.get(T.TAG_STATUS),
              after="rejected", reason=f"base_isolation {verdict}: {summary}", run_id=run_id)
    reg_out = Registered(name, version, existing.run_id, reused, digest)
    return BaseOutcome(reg_out, reg.alias_version(name, "champion"), verdict, summary)


def _tag_corpus_overlap(settings, reg, tenants, name, version, texts) -> None:
    """Record on the version which tenants' data its training corpus holds (sticky: the corpus is fixed)."""
    from tenantguard.evaluations.overlap import foreign_texts
    from tenantguard.home.corpora import record_index

    found = foreign_texts(texts, record_index(settings, tenants, with_base=False)) if tenants else []
    counts: dict[str, int] = {}
    for f in found:
        counts[f.source_tenant] = counts.get(f.source_tenant, 0) + 1
    reg.tag_version(name, version, {T.TAG_CORPUS_OVERLAP: json.dumps(counts, sort_keys=True)})


def _audit_base_version(settings, reg, tenants, name, version) -> tuple[str, str]:
    from tenantguard.gates.isolation import base_audit
    from tenantguard.models.adapter import load_tenant_model

    base = load_tenant_model(f"models:/{name}/{version}", f"{name}/{version}")
    verdict, summary, _ = base_audit(settings, reg, list(tenants), name, version, base)
    return verdict, summary


def register_candidate(settings: Settings, reg: R.Registry, prepared: PreparedData, feature: str,
                       *, dagster_run_id: str | None = None) -> Registered:
    """Tune the base champion on the tenant's prepared train split; alias `candidate`."""
    import mlflow

    tuner = tuner_for(settings)
    base_name = T.model_name(feature, T.BASE_TENANT)
    base_version = reg.alias_version(base_name, "champion")
    if base_version is None:
        raise TenantGuardError(f"{base_name}@champion does not exist: materialize the `base_model` asset first")
    name = T.model_name(feature, prepared.tenant_id)
    tags = {T.TAG_TENANT: prepared.tenant_id, T.TAG_FEATURE: feature, T.TAG_DIGEST: prepared.digest,
            T.TAG_BASE_VERSION: base_version, **_tuner_tag(tuner)}
    existing = _reusable(reg, name, tags, tuner, "tune")
    reused = existing is not None
    if existing is None:
        base_digest = reg.client.get_model_version(base_name, base_version).tags.get(T.TAG_DIGEST, "")
        base = BaseRef(base_name, base_version, base_digest)
        exp = reg.experiment_id(T.tenant_experiment(prepared.tenant_id))
        run_tags = {**tags, "kind": "tune", **({"dagster.run_id": dagster_run_id} if dagster_run_id else {})}
        with mlflow.start_run(experiment_id=exp, run_name=f"tune {feature} {prepared.version}", tags=run_tags) as run:
            reg.log_dataset_input(prepared.train, name=f"{prepared.tenant_id}/{prepared.version}",
                                  source=str(prepared.train_path), digest=prepared.digest)
            mlflow.log_params({**tuner.params("tune"), "train_records": len(prepared.train),
                               "base_model": f"{base_name}/{base_version}", "dataset_version": prepared.version})
            model_uri = tuner.log_model(tuner.tune(base, prepared.train, settings=settings))
        existing = reg.register(name, model_uri, run.info.run_id, {**tags, T.TAG_STATUS: "candidate"})
    reg.point_alias(name, "candidate", existing.version)
    return Registered(name, str(existing.version), existing.run_id, reused, prepared.digest)


def _tuner_tag(tuner: Tuner[Any]) -> dict[str, str]:
    # None for the default, so its versions keep the tags they had before tuners were pluggable.
    return {} if tuner.name == DEFAULT else {T.TAG_TUNER: tuner.name}


def _reusable(reg: R.Registry, name: str, tags: dict[str, str], tuner: Tuner[Any], stage: Stage):
    """The newest version with `tags`, if `tuner` made it with the params it would log now; else None."""
    from mlflow.exceptions import MlflowException

    mv = reg.find_version(name, tags)
    if mv is None or mv.tags.get(T.TAG_TUNER, DEFAULT) != tuner.name or not mv.run_id:
        return None
    try:
        logged = reg.client.get_run(mv.run_id).data.params
    except MlflowException:  # the run is gone (another store, purged): nothing proves what made the version
        return None
    return mv if all(logged.get(k) == str(v) for k, v in tuner.params(stage).items()) else None

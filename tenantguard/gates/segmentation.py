"""Segmentation inputs from a tenantguard home: tenants, the fingerprint index of every tenant's prepared
data, probe texts, the inference log, `segmentation.yaml` and the registered audit kinds (built-ins plus
plug-ins from TENANTGUARD_AUDIT_KINDS and entry points). Shared by the CLI and the Dagster asset.

The audits themselves (evaluations.segmentation) stay pure; this is where the home and the log meet them.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone
from typing import Iterable, Sequence

from tenantguard.config import Settings
from tenantguard.evaluations.canaries import is_canary_record
from tenantguard.evaluations.isolation import record_text
from tenantguard.evaluations.segmentation import report as R
from tenantguard.evaluations.segmentation.adapters import SegmentationConfig
from tenantguard.evaluations.segmentation.config_file import load_config
from tenantguard.evaluations.segmentation.inputs import AuditSettings, SegmentationInputs
from tenantguard.evaluations.segmentation.kinds import AuditKind, registered, select
from tenantguard.evaluations.segmentation.runner import run_audits
from tenantguard.home.corpora import cached_index, read_base_corpus, tenant_corpora
from tenantguard.home.layout import segmentation_config
from tenantguard.tenants import Tenant, load_tenants, tenant_by_id


def daily_seed(now: datetime | None = None) -> int:
    """The UTC day number: a daily run samples different source tenants each day, reproducibly."""
    return (now or datetime.now(timezone.utc)).date().toordinal()


def inputs_from_home(settings: Settings, tenants: Sequence[Tenant]) -> SegmentationInputs:
    """Probe texts and the fingerprint index from each tenant's prepared data, or from its newest raw dataset
    version when it has none yet (the audit does not need a tuning run): `tenant_corpora` reads both."""
    corpora, _ = tenant_corpora(settings, tenants)
    texts = {c.tenant_id: [record_text(r) for r in (*c.train, *c.holdout) if not is_canary_record(r)] for c in corpora}
    base = read_base_corpus(settings, required=False)
    index = cached_index(settings, tenants)
    url = settings.inference_log_url
    return SegmentationInputs(tenants=tuple(tenants), secret=settings.secret(), index=index,
                              texts=lambda tid: texts.get(tid, []), neutral=tuple(base[:50]),
                              log_rows=lambda tid: newest_rows(url, tid), log_label=f"inference_log={_safe_url(url)}")


def newest_rows(url: str, tenant_id: str, *, after_id: int = 0, batch: int = 5_000) -> Iterable[dict]:
    """A tenant's inference-log rows, newest first (the caller stops after its row budget)."""
    import sqlalchemy as sa

    from tenantguard.monitoring.inference_log import InferenceLog
    from tenantguard.monitoring.inference_log import inference_log_table as t

    log = InferenceLog(url)
    upper = None
    while True:
        q = sa.select(t.c.id, t.c.ts, t.c.feature, t.c.model_version, t.c.prompt).where(
            t.c.tenant_id == tenant_id, t.c.id > after_id)
        if upper is not None:
            q = q.where(t.c.id < upper)
        with log.engine.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(q.order_by(t.c.id.desc()).limit(batch))]
        if not rows:
            return
        yield from rows
        upper = rows[-1]["id"]


def _safe_url(url: str) -> str:
    import sqlalchemy as sa

    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - a label only
        return "<inference log>"


def audit_kinds(settings: Settings) -> tuple[AuditKind, ...]:
    """The built-in audit kinds, then the plug-ins (entry points, then TENANTGUARD_AUDIT_KINDS)."""
    return registered(settings.audit_kinds)


def run_from_home(settings: Settings, *, tenant: str | None = None, config: SegmentationConfig | None = None,
                  kinds: Sequence[str] | None = None, table: Sequence[AuditKind] | None = None,
                  seed: int | None = None, log_after_id: int = 0) -> list[R.SegmentationReport]:
    """Audit one tenant (or all) as requester against `<home>/segmentation.yaml`: the kinds named (default:
    all of `table`, default: `audit_kinds(settings)`). A given `config` was loaded against the same table.
    ConfigError on bad config."""
    table = table if table is not None else audit_kinds(settings)
    selected = select(table, kinds)
    tenants = load_tenants(settings.tenants_file)
    requesters = [tenant_by_id(tenants, tenant).id] if tenant else [t.id for t in tenants]
    config = config or load_config(segmentation_config(settings), kinds=table)
    inputs = inputs_from_home(settings, tenants)
    if log_after_id:
        url = settings.inference_log_url
        inputs = replace(inputs, log_rows=lambda tid: newest_rows(url, tid, after_id=log_after_id))
    return run_audits(inputs, config, requesters, table=selected,
                      settings=AuditSettings(seed=daily_seed() if seed is None else seed))

"""Run segmentation audit kinds for some requesters against the configured adapters (pure: inputs in, reports
out). Every kind of the table is run the same way (kinds.py); which adapter each ran against is in its
report, a kind whose adapter is not configured is `not_run`, and a kind that crashes or returns something
other than its own report is `error`: never a pass."""
from __future__ import annotations

from typing import Sequence

from tenantguard.errors import TenantGuardError, UnknownTenant
from tenantguard.evaluations.canaries import make_canaries
from tenantguard.evaluations.segmentation import report as R
from tenantguard.evaluations.segmentation.adapters import SegmentationConfig
from tenantguard.evaluations.segmentation.evidence import CanaryMatcher, ForeignData, segmentation_canaries
from tenantguard.evaluations.segmentation.inputs import AuditSettings, SegmentationInputs
from tenantguard.evaluations.segmentation.kinds import BUILTIN, AuditKind, AuditRun, select


def _matcher(inputs: SegmentationInputs) -> CanaryMatcher:
    """Every tenant's training canaries and the canaries the RAG audit plants: none may reach another tenant."""
    m = CanaryMatcher()
    for t in inputs.tenants:
        m.add(t.id, make_canaries(inputs.secret, t.id))
        m.add(t.id, segmentation_canaries(inputs.secret, t.id, "rag"))
    return m


def run_audits(inputs: SegmentationInputs, config: SegmentationConfig, requesters: Sequence[str], *,
               kinds: Sequence[str] | None = None, table: Sequence[AuditKind] = BUILTIN,
               settings: AuditSettings = AuditSettings()) -> list[R.SegmentationReport]:
    """The kinds named (all of `table` when None), in table order; `config` was loaded against `table`."""
    known = {t.id for t in inputs.tenants}
    for r in requesters:
        if r not in known:
            raise UnknownTenant(f"unknown tenant {r!r}; add it to tenants.yaml")
    prompts = {t.id: t.system_prompt for t in inputs.tenants}

    def own(tid: str) -> list[str]:
        return [*inputs.texts(tid), prompts.get(tid, "")]

    out = []
    for kind in select(table, kinds):
        factory = config.factory(kind.adapter) if kind.adapter else None
        if kind.adapter and factory is None:
            out.append(R.not_run(kind.name, f"no '{kind.adapter}' factory in {config.where}; add "
                                            f"'{kind.adapter}: module:function' to audit it", requesters=requesters))
            continue
        foreign = ForeignData(inputs.index, _matcher(inputs), own=own)
        run = AuditRun(kind.name, inputs, config, tuple(requesters), foreign, settings, factory)
        out.append(_run_one(kind, run))
    return out


def _run_one(kind: AuditKind, run: AuditRun) -> R.SegmentationReport:
    """kind.run(run), held to its contract: a crash or a foreign result is the kind's `error`, not a pass."""
    try:
        report = kind.run(run)
    except TenantGuardError:
        raise  # bad configuration stays a one-line error with its exit code
    except Exception as exc:  # noqa: BLE001 - a broken audit (e.g. a plug-in's bug) is reported, never a pass
        text = str(exc).strip()
        cause = f"{type(exc).__name__}: {text.splitlines()[0][:200]}" if text else type(exc).__name__
        return R.build(kind.name, adapters=[run.label], requesters=run.requesters, findings=(),
                       errors=[f"the {kind.name} audit raised {cause}"])
    if not isinstance(report, R.SegmentationReport) or report.kind != kind.name:
        got = f"a report of kind {report.kind!r}" if isinstance(report, R.SegmentationReport) else \
            type(report).__name__
        return R.build(kind.name, adapters=[run.label], requesters=run.requesters, findings=(),
                       errors=[f"the {kind.name} audit returned {got}, expected its own SegmentationReport"])
    return report

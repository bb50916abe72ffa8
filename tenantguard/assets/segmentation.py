"""`segmentation_report`: per tenant, the AI-layer segmentation audits (RAG retrieval boundary, memory/session
isolation, agent tool scope, prompt-context contamination, and any plug-in audit kinds) against the platform
components named in `<home>/segmentation.yaml`, one blocking check per audit kind.

A check passes only when its audit ran and found nothing. An audit that could not complete fails with
ERROR; an audit that was not run (no adapter configured, nothing logged) fails with WARN and says so:
a not-run audit is never shown as passed. A failed audit engages the tenant's feature kill switches
when the policy in segmentation.yaml maps its kind to `kill_switch`.

Check specs are fixed when this module is imported, before any settings are read: the built-in kinds and
the kinds installed as entry points (group `tenantguard.audit_kinds`) get a check. A kind named only in
TENANTGUARD_AUDIT_KINDS runs too, and its verdict is in the metadata (`unchecked_verdicts`) and the report
file, but it has no check of its own (docs/extending/audit-kinds.md).
"""
import json

from dagster import (AssetCheckResult, AssetCheckSeverity, AssetExecutionContext, Failure, MaterializeResult,
                     MetadataValue, asset)

from tenantguard.assets.partitions import tenant_check, tenants_partitions
from tenantguard.assets.resource import TenantGuardResource
from tenantguard.errors import TenantGuardError
from tenantguard.evaluations.segmentation.kinds import registered

CHECKED_KINDS = registered()  # built-ins and entry points: no settings are read at import
MAX_LISTED = 20


@asset(partitions_def=tenants_partitions, group_name="segmentation",
       check_specs=[tenant_check(kind.name, "segmentation_report", blocking=True, description=kind.description)
                    for kind in CHECKED_KINDS],
       description="AI-layer segmentation audits of the tenant against the platform's own retriever, memory and "
                   "tools (segmentation.yaml) and its logged model contexts; masked evidence only.")
def segmentation_report(context: AssetExecutionContext, tenantguard: TenantGuardResource) -> MaterializeResult:
    from tenantguard.evaluations.segmentation.config_file import load_config
    from tenantguard.gates.respond import engage_segmentation_switches
    from tenantguard.gates.segmentation import audit_kinds, run_from_home
    from tenantguard.home.layout import segmentation_config
    from tenantguard.home.layout import segmentation_report as report_file

    try:
        settings = tenantguard.settings()
        tenant = tenantguard.tenant(context.partition_key)
        kinds = audit_kinds(settings)
        config = load_config(segmentation_config(settings), kinds=kinds)
        reports = run_from_home(settings, tenant=tenant.id, config=config, table=kinds)
    except TenantGuardError as exc:
        raise Failure(description=str(exc)) from None
    actions = engage_segmentation_switches(settings, tenant, reports, config.policy, run_id=context.run_id, log=context.log)
    path = report_file(settings, tenant.id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"tenant": tenant.id, "run_id": context.run_id, "actions": actions,
                                "reports": [r.to_dict() for r in reports]}, indent=2))
    numeric = {f"{r.kind}.{k}": v for r in reports for k, v in r.metrics().items()}
    checked = {k.name for k in CHECKED_KINDS}
    unchecked = [r for r in reports if r.kind not in checked]
    for r in unchecked:
        if r.verdict != "passed":
            context.log.warning(f"audit kind {r.kind} (no Dagster check: not an entry point): {r.summary()[:500]}")
    extra = {"unchecked_verdicts": ", ".join(f"{r.kind}={r.verdict}" for r in unchecked)} if unchecked else {}
    return MaterializeResult(
        metadata={**numeric, "verdicts": ", ".join(f"{r.kind}={r.verdict}" for r in reports),
                  "adapters": ", ".join(a for r in reports for a in r.adapters), "report_path": str(path),
                  "kill_switch_actions": "; ".join(actions) or "none", **extra,
                  "findings": MetadataValue.md(_findings_table(reports))},
        check_results=[check_result(r) for r in reports if r.kind in checked])


def check_result(report) -> AssetCheckResult:
    not_run = report.verdict == "not_run"
    description = report.summary()
    if not_run:
        description = f"NOT RUN (not a pass): {report.not_run_reason}"
    return AssetCheckResult(
        check_name=report.kind, passed=report.verdict == "passed",
        severity=AssetCheckSeverity.WARN if not_run else AssetCheckSeverity.ERROR, description=description[:1000],
        metadata={"verdict": report.verdict, "adapters": ", ".join(report.adapters) or "none",
                  "findings": report.n_findings, "calls": report.calls, "errors": "; ".join(report.errors)[:500] or "none",
                  "budget": json.dumps(report.budget)[:1000]})


def _findings_table(reports) -> str:
    rows = [f for r in reports for f in r.findings][:MAX_LISTED]
    if not rows:
        return "(no findings)"
    out = ["| audit kind | finding | source tenant | probe | evidence (masked) |", "|---|---|---|---|---|"]
    for r in reports:
        for f in r.findings[:MAX_LISTED]:
            out.append(f"| {r.kind} | {f.kind} | {f.source_tenant or '?'} | {_cell(f.probe)} | {_cell(f.evidence)} |")
    total = sum(r.n_findings for r in reports)
    if total > len(out) - 2:
        out.append(f"\n({total - (len(out) - 2)} more in the report file)")
    return "\n".join(out)


def _cell(v) -> str:
    return str(v).replace("|", "/").replace("\n", " ")[:200]

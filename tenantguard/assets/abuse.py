"""`abuse_alerts`: one tenant's deduplicated API-abuse alerts from the alerts table, with the check
`no_open_abuse_alerts` (WARN; ERROR when an open alert's policy action is a key block, a kill switch or a rollback).

The detectors run in `abuse_watch_sensor` (monitoring.scan); this asset only publishes what they
recorded, so a re-materialization is cheap and shows acknowledgements as they happen.
"""
from collections import Counter

from dagster import (AssetCheckResult, AssetCheckSeverity, AssetExecutionContext, Failure, MaterializeResult,
                     MetadataValue, asset)

from tenantguard.assets.partitions import tenant_check, tenants_partitions
from tenantguard.assets.resource import TenantGuardResource
from tenantguard.errors import TenantGuardError

SEVERE_ACTIONS = ("block_key", "kill_switch", "rollback")
MAX_TABLE_ROWS = 50


@asset(partitions_def=tenants_partitions, group_name="monitoring",
       check_specs=[tenant_check("no_open_abuse_alerts", "abuse_alerts",
                                 description="The tenant has no unacknowledged API-abuse alert (injection "
                                             "campaign, model extraction, token budget, jailbreak sweep)")],
       description="The tenant's API-abuse alerts (deduplicated, evidence masked) as found by abuse_watch_sensor.")
def abuse_alerts(context: AssetExecutionContext, tenantguard: TenantGuardResource) -> MaterializeResult:
    from tenantguard.gates.acknowledge import chained_acknowledgements
    from tenantguard.monitoring.abuse.alerts import AlertStore
    from tenantguard.monitoring.abuse.detectors import kinds, registered

    try:
        tenant = tenantguard.tenant(context.partition_key)
        settings = tenantguard.settings()
        detector_kinds = kinds(registered(settings.detectors))
        records = chained_acknowledgements(settings, AlertStore(settings.inference_log_url).list(tenant_id=tenant.id))
    except TenantGuardError as exc:
        raise Failure(description=str(exc)) from None
    open_ = [r for r in records if r["acknowledged"] is None]
    by_kind, open_by_kind = Counter(r["kind"] for r in records), Counter(r["kind"] for r in open_)
    numeric = {}
    for kind in detector_kinds:  # every registered kind every time, so the UI plots a zero instead of a gap
        numeric[f"alerts_{kind}"] = by_kind[kind]
        numeric[f"open_{kind}"] = open_by_kind[kind]
        numeric[f"max_score_{kind}"] = max((float(r["score"]) for r in records if r["kind"] == kind), default=0.0)
    severe = [r for r in open_ if r["action"] in SEVERE_ACTIONS]
    check = AssetCheckResult(
        check_name="no_open_abuse_alerts", passed=not open_,
        severity=AssetCheckSeverity.ERROR if severe else AssetCheckSeverity.WARN,
        description=_check_text(open_, severe),
        metadata={"open_alerts": len(open_), "open_needing_action": len(severe),
                  "open_alert_ids": ", ".join(r["alert_id"] for r in open_[:20]) or "none"})
    return MaterializeResult(metadata={
        **numeric, "alerts": len(records), "open_alerts": len(open_),
        "last_row_id": max((int(r["last_id"]) for r in records), default=0),
        "alerts_table": MetadataValue.md(_table(records))}, check_results=[check])


def _check_text(open_: list[dict], severe: list[dict]) -> str:
    if not open_:
        return "no open API-abuse alerts"
    kinds = ", ".join(f"{k} x{n}" for k, n in sorted(Counter(r["kind"] for r in open_).items()))
    return (f"{len(open_)} open API-abuse alert(s) ({kinds}); {len(severe)} with a kill-switch or rollback action. "
            f"Acknowledge with `tenantguard abuse ack ALERT_ID --reason ...` once handled.")[:1000]


def _table(records: list[dict]) -> str:
    """Newest first; key names and evidence masked (evidence is masked at the source already)."""
    from tenantguard.evaluations.masking import mask

    if not records:
        return "(no API-abuse alerts for this tenant)"
    rows = sorted(records, key=lambda r: -int(r["last_id"]))[:MAX_TABLE_ROWS]
    out = ["| kind | alert | key | rows | score / threshold | action | open | evidence |", "|" + "---|" * 8]
    for r in rows:
        key = mask(r["api_key"]) if r.get("api_key") else "(several / rotated)"
        evidence = (r.get("evidence") or ["-"])[0]
        out.append(f"| {r['kind']} | {r['alert_id']} | {_cell(key)} | {r['first_id']}..{r['last_id']} "
                   f"| {r['score']:.3g} / {r['threshold']:.3g} | {r['action']} "
                   f"| {'yes' if r['acknowledged'] is None else 'acknowledged'} | {_cell(evidence)} |")
    if len(records) > MAX_TABLE_ROWS:
        out.append(f"\n({len(records) - MAX_TABLE_ROWS} older alert(s) not shown)")
    return "\n".join(out)


def _cell(v) -> str:
    return str(v).replace("|", "/").replace("\n", " ")

"""`tenantguard abuse ...`: API-abuse detection over the inference log; heavy imports inside command bodies."""
from __future__ import annotations

import sys

import click

from tenantguard.cli.common import handle_errors, settings
from tenantguard.cli.options import token_option


@click.group()
def abuse() -> None:
    """API-abuse detection over the inference log."""


@abuse.command("scan")
@click.option("--since", "since", type=click.IntRange(min=0), default=0, show_default=True,
              help="Scan rows with id greater than this.")
@click.option("--json", "as_json", is_flag=True, help="Print alerts as a JSON list.")
@handle_errors
def abuse_scan(since: int, as_json: bool) -> None:
    """Run every detector over the log; exit 0 no open alerts, 1 open alerts found, 2 bad input.

    An alert acknowledged up to its last row (`abuse ack`) is counted, not listed, and, as in `abuse alerts`,
    does not make the exit code 1; `abuse alerts` lists it."""
    import json

    from tenantguard.gates.abuse_scan import scan_abuse

    s = settings()
    result = scan_abuse(s, after_id=since)
    shown = result.open_alerts
    if result.not_run:  # text detectors on rows without a prompt: not run, never passed
        click.echo("not run on rows without a prompt (content capture off): "
                   + ", ".join(f"{k} ({n} rows)" for k, n in sorted(result.not_run.items())), err=as_json)
    if as_json:
        click.echo(json.dumps([a.to_dict() for a in shown], indent=2, ensure_ascii=False))
    else:
        acked = len(result.alerts) - len(shown)
        click.echo(f"scanned {result.rows} rows (ids {since + 1}..{result.last_id}); {len(shown)} alert(s)"
                   + (f", {acked} acknowledged not listed" if acked else ""))
        for a in shown:
            click.echo(f"{a.kind:<18} tenant={a.tenant_id:<16} key={a.api_key or '-':<18} score={a.score:.3g} "
                       f"threshold={a.threshold:.3g} ids={a.first_id}..{a.last_id} action={a.action}  {a.summary}")
    sys.exit(1 if shown else 0)


@abuse.command("detectors")
@click.option("--json", "as_json", is_flag=True, help="Print the detectors as a JSON list.")
@handle_errors
def abuse_detectors(as_json: bool) -> None:
    """List the detectors a scan runs (built-ins, then plug-ins) with the action of each policy key."""
    import json

    from tenantguard.monitoring.abuse.policy import AbuseSettings

    abuse_settings = AbuseSettings.from_settings(settings())
    rows = [{"kind": d.kind, "detector": f"{d.__module__}:{d.__qualname__}",
             "policy": {key: abuse_settings.policy[key] for key in d.default_actions}}
            for d in abuse_settings.detectors]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for r in rows:
        policy = " ".join(f"{key}={action}" for key, action in r["policy"].items())
        click.echo(f"{r['kind']:<18} {policy:<58} {r['detector']}")


@abuse.command("alerts")
@click.option("--tenant", help="Only this tenant's alerts.")
@click.option("--open", "open_only", is_flag=True, help="Only alerts not yet acknowledged.")
@click.option("--json", "as_json", is_flag=True, help="Print alerts as a JSON list.")
@handle_errors
def abuse_alerts(tenant: str | None, open_only: bool, as_json: bool) -> None:
    """List recorded alerts; exit 0 none open, 1 some open."""
    import json

    from tenantguard.monitoring.abuse.alerts import AlertStore

    records = AlertStore(settings().inference_log_url).list(tenant_id=tenant, open_only=open_only)
    if as_json:
        click.echo(json.dumps(records, indent=2, ensure_ascii=False))
    else:
        for r in records:
            state = "open" if r["acknowledged"] is None else f"acknowledged by {r['acknowledged']['actor']}"
            click.echo(f"{r['alert_id']}  {r['kind']:<18} tenant={r['tenant_id']:<16} ids={r['first_id']}..{r['last_id']} "
                       f"action={r['action']:<11} {state}  {r['summary']}")
        click.echo(f"{len(records)} alert(s)")
    sys.exit(1 if any(r["acknowledged"] is None for r in records) else 0)


@abuse.command("ack")
@click.argument("alert_id")
@click.option("--reason", required=True, help="What was done about it (kept with the alert and in the audit chain).")
@token_option
@handle_errors
def abuse_ack(alert_id: str, reason: str, token: str | None) -> None:
    """Acknowledge ALERT_ID up to its current last row (a responder's token; the actor is the token's; chained).
    It reopens if the abuse goes on."""
    from tenantguard.cli import options as cliopts
    from tenantguard.gates.acknowledge import acknowledge_alert

    st = cliopts.store()
    actor = cliopts.authenticate(st, token, "abuse.ack", scope={"alert_id": alert_id})
    ack = acknowledge_alert(settings(), st, actor, alert_id, reason=reason)
    click.echo(f"acknowledged {alert_id} up to row {ack['last_id']} by {actor.name}")

"""`tenantguard killswitch engage|release|status|list|drill|actors`.

Top-level imports are click and light helpers only, so `tenantguard --help` stays instant.
"""
from __future__ import annotations

import json

import click

from tenantguard.cli import options as cliopts
from tenantguard.cli.actors import actors
from tenantguard.cli.common import handle_errors
from tenantguard.cli.options import scope_options, token_option, yes_option


@click.group()
def killswitch() -> None:
    """Kill switches: disable an AI feature per feature, tenant or region in seconds."""


killswitch.add_command(actors)


@killswitch.command()
@scope_options
@click.option("--all", "all_requests", is_flag=True, help="Kill every request (a scope with no fields).")
@click.option("--reason", help="Why (required; goes to the audit log).")
@click.option("--incident", "incident_id", help="Incident id, e.g. INC-1234.")
@click.option("--fallback", default="disable", show_default=True,
              type=click.Choice(["disable", "previous_version", "safe_response"]))
@click.option("--message", help="Text served with --fallback safe_response.")
@click.option("--fallback-version", help="Pin the model version served with --fallback previous_version.")
@click.option("--expires", help="Auto-release after a duration (30m, 2h, 1d) or at an ISO-8601 time.")
@click.option("--shadow", is_flag=True, help="Log would-kill decisions without enforcing them.")
@click.option("--dry-run", is_flag=True, help="Report which recent logged requests it would hit; change nothing.")
@click.option("--window", default=10_000, show_default=True, help="Inference-log rows --dry-run looks back over.")
@token_option
@yes_option
@handle_errors
def engage(feature, tenant, region, api_key, all_requests, reason, incident_id, fallback, message, fallback_version,
           expires, shadow, dry_run, window, token, yes) -> None:
    """Engage a kill switch for a scope."""
    from tenantguard.errors import ScopeInvalid
    from tenantguard.killswitch.switch import Fallback, parse_expiry

    scope = cliopts.scope_from(feature, tenant, region, api_key)
    if scope.is_global and not all_requests:
        raise ScopeInvalid("give at least one of --feature, --tenant, --region (or --all to kill every request)")
    if all_requests and not scope.is_global:
        raise ScopeInvalid("--all kills every request; drop --feature/--tenant/--region or drop --all")
    fb = Fallback(fallback, message, fallback_version)
    expires_at = parse_expiry(expires)
    if not dry_run and not (reason or "").strip():
        raise ScopeInvalid("--reason is required: say why (it goes to the audit log)")
    cliopts.check_against_directory(scope)
    st = cliopts.store()
    if dry_run:
        from tenantguard.cli.common import settings
        from tenantguard.killswitch.dryrun import dry_run as run_dry

        cliopts.authenticate(st, token, "engage --dry-run", "viewer", scope)
        report = run_dry(settings().inference_log_url, scope, window=window)
        click.echo(report.summary())
        for row in report.sample:
            click.echo(f"  id {row['id']}  {row.get('ts')}  tenant={row.get('tenant_id')}  "
                       f"feature={row.get('feature')}  region={row.get('region')}")
        return
    actor = cliopts.authenticate(st, token, "engage", "responder", scope)
    cliopts.confirm(yes, f"engage a {'shadow ' if shadow else ''}kill switch for {scope}")
    st.expire_due()
    r = st.engage(scope, actor=actor, reason=reason, fallback=fb, incident_id=incident_id, expires_at=expires_at,
                  shadow=shadow, allow_global=all_requests)
    if not r.changed:
        click.echo(f"switch {r.switch.id} ({scope}) is already engaged as requested; nothing changed")
        return
    until = f", expires {r.switch.expires_at.isoformat()}" if r.switch.expires_at else ""
    click.echo(f"engaged switch {r.switch.id} ({scope}) mode {r.switch.mode}, fallback {fb.mode}{until}; "
               f"audit entry {r.audit_seq}")


@killswitch.command()
@click.option("--id", "switch_id", type=int, help="Switch id (see `killswitch list`).")
@scope_options
@click.option("--reason", help="Why (required; goes to the audit log).")
@click.option("--incident", "incident_id", help="Incident id.")
@token_option
@yes_option
@handle_errors
def release(switch_id, feature, tenant, region, api_key, reason, incident_id, token, yes) -> None:
    """Release a kill switch by --id or by its scope."""
    from tenantguard.errors import ScopeInvalid

    scope = cliopts.scope_from(feature, tenant, region, api_key)
    if switch_id is not None and not scope.is_global:
        raise ScopeInvalid("give either --id or the scope flags, not both")
    if switch_id is None and scope.is_global:
        raise ScopeInvalid("give --id or at least one of --feature, --tenant, --region")
    if not (reason or "").strip():
        raise ScopeInvalid("--reason is required: say why (it goes to the audit log)")
    st = cliopts.store()
    target = switch_id if switch_id is not None else scope
    actor = cliopts.authenticate(st, token, "release", "responder", None if switch_id is not None else scope)
    sw = st.get(target)
    cliopts.confirm(yes, f"release switch {sw.id} ({sw.scope})")
    st.expire_due()
    r = st.release(target, actor=actor, reason=reason, incident_id=incident_id)
    if not r.changed:
        click.echo(f"switch {r.switch.id} ({r.switch.scope}) is already released; nothing changed")
        return
    click.echo(f"released switch {r.switch.id} ({r.switch.scope}); audit entry {r.audit_seq}")


@killswitch.command()
@scope_options
@click.option("--json", "as_json", is_flag=True)
@token_option
@click.option("--fail-closed", is_flag=True, help="Answer as a fail-closed client would.")
@handle_errors
def status(feature, tenant, region, api_key, as_json, token, fail_closed) -> None:
    """The store's version and engaged switches; with scope flags, the decision a client gets for that request."""
    from tenantguard.killswitch.client import KillSwitchClient

    st = cliopts.store()
    cliopts.authenticate(st, token, "status", "viewer")
    engaged = st.list()
    head = st.audit.head()
    out = {"version": st.version(), "engaged": len(engaged), "audit_head": f"{head[0]}:{head[1]}"}
    if feature or tenant or region or api_key:
        with KillSwitchClient(cliopts.url(), background=False, fail_closed=fail_closed) as c:
            d = c.check(feature, tenant, region, api_key)
        out["request"] = {"feature": feature, "tenant": tenant, "region": region, "api_key": api_key}
        out["decision"] = {"killed": d.killed, "switch_id": d.switch_id, "shadow": d.shadow, "stale": d.stale,
                           "fallback": d.fallback.as_dict() if d.fallback else None, "reason": d.reason}
    if as_json:
        click.echo(json.dumps(out, indent=2))
        return
    click.echo(f"store version {out['version']}, {out['engaged']} engaged switch(es), audit head {out['audit_head']}")
    if "decision" in out:
        d = out["decision"]
        verdict = (f"KILLED by switch {d['switch_id']} (fallback {d['fallback']['mode']})" if d["killed"]
                   else f"would be killed by shadow switch {d['switch_id']} (not enforced)" if d["shadow"]
                   else "not killed")
        click.echo(f"request feature={feature or '-'} tenant={tenant or '-'} region={region or '-'}"
                   f"{f' api_key={api_key}' if api_key else ''}: {verdict}"
                   f"{' [stale]' if d['stale'] else ''}")


@killswitch.command("list")
@click.option("--all", "include_released", is_flag=True, help="Include released switches.")
@click.option("--json", "as_json", is_flag=True)
@token_option
@handle_errors
def list_(include_released, as_json, token) -> None:
    """List engaged switches (or all with --all)."""
    from tenantguard.killswitch.switch import utcnow

    st = cliopts.store()
    cliopts.authenticate(st, token, "list", "viewer")
    now = utcnow()
    rows = [{"id": s.id, **s.scope.as_dict(), "api_key": s.scope.api_key, "state": "expired" if s.engaged and s.expired(now) else s.state,
             "mode": s.mode, "fallback": s.fallback.mode, "reason": s.reason, "incident_id": s.incident_id,
             "actor": s.actor, "updated_at": s.updated_at.isoformat(),
             "expires_at": s.expires_at.isoformat() if s.expires_at else None}
            for s in st.list(state=None if include_released else "engaged")]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    click.echo(f"{'id':>4}  {'feature':<20} {'tenant':<20} {'region':<12} {'state':<9} {'mode':<8} "
               f"{'fallback':<17} reason")
    for r in rows:
        key = f"[key {r['api_key']}] " if r["api_key"] else ""
        click.echo(f"{r['id']:>4}  {r['feature'] or '*':<20} {r['tenant'] or '*':<20} {r['region'] or '*':<12} "
                   f"{r['state']:<9} {r['mode']:<8} {r['fallback']:<17} {key}{r['reason']}")
    if not rows:
        click.echo("(no switches)")


@killswitch.command()
@scope_options
@click.option("--shadow", is_flag=True, help="Drill on the real scope given by the flags, without enforcing.")
@click.option("--clients", default=2, show_default=True, help="Client processes that must observe the flip.")
@click.option("--poll", "poll_interval", default=0.1, show_default=True, help="Clients' poll interval (s).")
@click.option("--timeout", default=30.0, show_default=True, help="Seconds to wait for clients.")
@click.option("--reason", default="scheduled kill-switch drill", show_default=True)
@click.option("--incident", "incident_id", help="Incident / change id.")
@token_option
@yes_option
@handle_errors
def drill(feature, tenant, region, api_key, shadow, clients, poll_interval, timeout, reason, incident_id, token, yes) -> None:
    """Engage, observe from client processes, release and audit a drill switch; exit 1 if clients missed it."""
    from tenantguard.errors import DrillFailed, ScopeInvalid
    from tenantguard.killswitch.drill import drill_scope, run_drill

    if api_key:
        raise ScopeInvalid("--api-key: drills observe feature/tenant/region scopes; drop --api-key")
    given = cliopts.scope_from(feature, tenant, region)
    if shadow:
        if given.is_global:
            raise ScopeInvalid("--shadow drills a real scope: give --feature, --tenant and/or --region")
        cliopts.check_against_directory(given)
        scope = given
    else:
        if not given.is_global:
            raise ScopeInvalid("a drill on a real scope must run in shadow mode: add --shadow")
        scope = drill_scope(cliopts.known_tenant_ids())
    st = cliopts.store()
    actor = cliopts.authenticate(st, token, "drill", "responder", scope)
    cliopts.confirm(yes, f"run a {'shadow' if shadow else 'synthetic'} drill on {scope}")
    result = run_drill(st, cliopts.url(), actor=actor, scope=scope, shadow=shadow, clients=clients,
                       poll_interval=poll_interval, timeout=timeout, incident_id=incident_id, reason=reason)
    click.echo(result.summary())
    if not result.ok:
        raise DrillFailed(f"{result.timeouts} client observation(s) timed out after {timeout:.0f}s")

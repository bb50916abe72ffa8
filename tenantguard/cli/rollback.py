"""`tenantguard rollback`: point a tenant's `champion` back at its last good version (gates.rollback)."""
from __future__ import annotations

import click

from tenantguard.cli import options as cliopts
from tenantguard.cli.common import handle_errors, settings
from tenantguard.cli.options import confirm, token_option, yes_option


@click.command("rollback")
@click.option("--tenant", required=True, help="Tenant id from tenants.yaml.")
@click.option("--reason", required=True, help="Why; recorded on the versions and in the audit log.")
@click.option("--feature", default=None, help="Feature (default: the tenant's first).")
@click.option("--to", "target", default=None, type=click.IntRange(min=1),
              help="Target version number (default: last good promoted version).")
@click.option("--dry-run", is_flag=True, help="Show what would happen; change nothing.")
@click.option("--no-preview", is_flag=True, help="Skip running the behavior suite on both versions.")
@click.option("--override-reason", default=None,
              help="Serve a --to version that was rejected or rolled back anyway (admin token only; recorded on "
                   "the version and in the audit chain).")
@token_option
@yes_option
@handle_errors
def rollback(tenant: str, reason: str, feature: str | None, target: int | None, dry_run: bool, no_preview: bool,
             override_reason: str | None, token: str | None, yes: bool) -> None:
    """Point `champion` back at the last version that passed its gates and was promoted (a responder's token;
    audited)."""
    from tenantguard.errors import ConfigError
    from tenantguard.gates.rollback import run_rollback
    from tenantguard.registry.promotion import RollbackTargetInvalid

    s = settings()
    if override_reason is not None and (target is None or not override_reason.strip()):
        raise ConfigError("--override-reason needs --to VERSION and a non-empty reason")
    actor = cliopts.authenticate(cliopts.store(), token, "override" if override_reason else "rollback",
                                 scope={"tenant": tenant})
    confirm(yes or dry_run, f"roll back {tenant}'s champion ({reason})")
    try:
        out = run_rollback(s, tenant_id=tenant, reason=reason, feature=feature,
                           target=None if target is None else str(target), dry_run=dry_run, actor=actor,
                           preview=not no_preview, override_reason=override_reason)
    except RollbackTargetInvalid as exc:
        raise ConfigError(f"--to {target}: {exc}") from None
    for label, metrics in out.preview.items():
        shown = ", ".join(f"{k}={v:.3g}" for k, v in sorted(metrics.items())[:8])
        click.echo(f"  {label:<8} {shown}")
    click.echo(out.summary())

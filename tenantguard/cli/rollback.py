"""`tenantguard rollback`: point a tenant's `champion` back at its last good version (gates.rollback)."""
from __future__ import annotations

import click

from tenantguard.cli.common import handle_errors, settings


@click.command("rollback")
@click.option("--tenant", required=True, help="Tenant id from tenants.yaml.")
@click.option("--reason", required=True, help="Why; recorded on the versions and in the audit log.")
@click.option("--feature", default=None, help="Feature (default: the tenant's first).")
@click.option("--to", "target", default=None, help="Target version (default: last good promoted version).")
@click.option("--dry-run", is_flag=True, help="Show what would happen; change nothing.")
@click.option("--no-preview", is_flag=True, help="Skip running the behavior suite on both versions.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@handle_errors
def rollback(tenant: str, reason: str, feature: str | None, target: str | None, dry_run: bool, no_preview: bool,
             yes: bool) -> None:
    """Point `champion` back at the last version that passed its gates and was promoted (audited)."""
    from tenantguard.gates.rollback import run_rollback

    s = settings()
    if not (dry_run or yes):
        click.confirm(f"Roll back {tenant}'s champion ({reason})?", abort=True)
    out = run_rollback(s, tenant_id=tenant, reason=reason, feature=feature, target=target, dry_run=dry_run,
                       actor="cli", preview=not no_preview)
    for label, metrics in out.preview.items():
        shown = ", ".join(f"{k}={v:.3g}" for k, v in sorted(metrics.items())[:8])
        click.echo(f"  {label:<8} {shown}")
    click.echo(out.summary())

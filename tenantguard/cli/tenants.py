"""`tenantguard tenants list`: the tenant directory (tenants.yaml)."""
from __future__ import annotations

import json

import click

from tenantguard.cli.common import handle_errors, settings


@click.group()
def tenants() -> None:
    """The tenant directory (tenants.yaml)."""


@tenants.command("list")
@click.option("--json", "as_json", is_flag=True)
@handle_errors
def tenants_list(as_json: bool) -> None:
    """List tenants with region and features."""
    from tenantguard.tenants import load_tenants

    ts = load_tenants(settings().tenants_file)
    if as_json:
        click.echo(json.dumps([{"id": t.id, "name": t.name, "region": t.region, "features": list(t.features)}
                               for t in ts], indent=2))
        return
    click.echo(f"{'tenant':<20} {'region':<12} {'features':<30} name")
    for t in ts:
        click.echo(f"{t.id:<20} {t.region:<12} {','.join(t.features):<30} {t.name}")

"""`tenantguard demo`: the synthetic world of `make demo`; the only command that imports tenantguard.demo."""
from __future__ import annotations

import click

from tenantguard.cli.common import handle_errors, settings


@click.command()
@click.option("--tenants", "n_tenants", default=6, show_default=True, help="Number of synthetic tenants.")
@click.option("--seed", default=7, show_default=True)
@handle_errors
def demo(n_tenants: int, seed: int) -> None:
    """Write a synthetic multi-tenant world into the home and run the whole pipeline through Dagster."""
    from tenantguard.demo.run import run_demo

    run_demo(settings(), n_tenants=n_tenants, seed=seed, echo=click.echo)

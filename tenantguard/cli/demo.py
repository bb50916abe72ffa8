"""`tenantguard demo`: the synthetic world of `make demo`; the only command that imports tenantguard.demo."""
from __future__ import annotations

import click

from tenantguard.cli.common import handle_errors, settings, use_store


@click.command()
@click.option("--tenants", "n_tenants", default=6, show_default=True, type=click.IntRange(min=1),
              help="Number of synthetic tenants.")
@click.option("--seed", default=7, show_default=True)
@handle_errors
def demo(n_tenants: int, seed: int) -> None:
    """Write a synthetic multi-tenant world into the home and run the whole pipeline through Dagster."""
    import mlflow  # noqa: F401  (it sets its loggers up on import: quiet() must come after)

    from tenantguard.demo.run import quiet, run_demo

    quiet()
    s = settings()
    s.ensure_home()
    use_store(s)  # an unreachable MLFLOW_TRACKING_URI: one line now, not a failed base_job minutes later
    run_demo(s, n_tenants=n_tenants, seed=seed, echo=click.echo)

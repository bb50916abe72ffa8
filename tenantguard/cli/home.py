"""`tenantguard home`: where everything lives (the Makefile's `ui` and `mlflow-ui` targets read it)."""
from __future__ import annotations

import click

from tenantguard.cli.common import handle_errors, settings


@click.command()
@click.option("--dagster", "what", flag_value="dagster", help="Print DAGSTER_HOME.")
@click.option("--mlflow-uri", "what", flag_value="mlflow", help="Print the MLflow tracking URI.")
@handle_errors
def home(what: str | None) -> None:
    """Print the tenantguard home (or one of its parts)."""
    s = settings()
    s.ensure_home()
    click.echo({"dagster": str(s.dagster_home), "mlflow": s.mlflow_tracking_uri}.get(what or "", str(s.home)))

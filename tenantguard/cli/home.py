"""`tenantguard home`: where everything lives (the Makefile's `ui` and `mlflow-ui` targets read it)."""
from __future__ import annotations

import click

from tenantguard.cli.common import handle_errors, settings


@click.command()
@click.option("--dagster", is_flag=True, help="Print DAGSTER_HOME.")
@click.option("--mlflow-uri", is_flag=True, help="Print the MLflow tracking URI.")
@handle_errors
def home(dagster: bool, mlflow_uri: bool) -> None:
    """Print the tenantguard home (or one of its parts). Creates nothing: `tenantguard demo` or the first
    command that writes there does."""
    from tenantguard.errors import ConfigError

    if dagster and mlflow_uri:
        raise ConfigError("--dagster and --mlflow-uri exclude each other; pass one (or neither, for the home)")
    s = settings()
    click.echo(str(s.dagster_home) if dagster else s.mlflow_tracking_uri if mlflow_uri else str(s.home))

"""`tenantguard demo`: the synthetic world of `make demo`; the only command that imports tenantguard.demo."""
from __future__ import annotations

import click

from tenantguard.cli.common import handle_errors, settings, use_store


@click.command()
@click.option("--tenants", "n_tenants", default=None, type=click.IntRange(min=1),
              help="Number of synthetic tenants of a new world (at least 2)  [default: 6]")
@click.option("--seed", default=None, type=int, help="Seed of a new world  [default: 7]")
@click.option("--model", default=None, type=click.Choice(["ngram", "hf-lora", "hf-full"]),
              help="The kind of model tuned and gated: sets TENANTGUARD_TUNER for this run  [default: TENANTGUARD_TUNER, "
                   "else ngram]. hf-*: a tiny GPT-2 trained from scratch on CPU (the hf extra), minutes not seconds.")
@handle_errors
def demo(n_tenants: int | None, seed: int | None, model: str | None) -> None:
    """Write a synthetic multi-tenant world into the home and run the whole pipeline through Dagster.

    A home that holds a world already is reused as it is (its tenants and seed); a second run prints the
    same story, the steps it replays marked `reused:`."""
    import mlflow  # noqa: F401  (it sets its loggers up on import: quiet() must come after)

    from tenantguard.demo.run import check_tenant_count, quiet, run_demo
    from tenantguard.models.tuners import tuner_for

    quiet()
    if model:
        from tenantguard.config import select_tuner

        select_tuner(model)
    s = settings()
    check_tenant_count(s, n_tenants)  # before anything is written
    tuner_for(s)  # a bad TENANTGUARD_TUNER is bad input: one line now, not a failed base_job
    s.ensure_home()
    use_store(s)  # an unreachable MLFLOW_TRACKING_URI: one line now, not a failed base_job minutes later
    run_demo(s, n_tenants=n_tenants, seed=seed, echo=click.echo)

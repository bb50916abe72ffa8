"""`tenantguard dataset prepare`: what a tuner trains on, written under the home (docs/contracts.md)."""
from __future__ import annotations

import sys

import click

from tenantguard.cli.common import handle_errors, settings


@click.group()
def dataset() -> None:
    """Fine-tuning datasets."""


@dataset.command("prepare")
@click.option("--tenant", required=True, help="Tenant id from tenants.yaml.")
@handle_errors
def dataset_prepare(tenant: str) -> None:
    """Validate, normalize, split and canary-plant the newest dataset; print the prepared paths.

    Exit 0 prepared, 1 the dataset_valid gate will block it (no paths printed: do not train on it), 2 bad input."""
    from tenantguard.gates.datasets import dataset_verdict
    from tenantguard.home.prepare import prepare_dataset
    from tenantguard.tenants import load_tenants, tenant_by_id

    s = settings()
    everyone = load_tenants(s.tenants_file)
    prepared = prepare_dataset(s, tenant_by_id(everyone, tenant), tenants=everyone)
    verdict = dataset_verdict(prepared, s.thresholds.max_rejected_share)
    if not verdict.passed:
        click.echo(f"BLOCKED by dataset_valid: {prepared.source_path}: {verdict.reason}; the quarantined lines and "
                   f"why are in {prepared.quarantine_path} (fix the dataset and prepare again)")
        sys.exit(1)
    click.echo(f"train:   {prepared.train_path}")
    click.echo(f"holdout: {prepared.holdout_path}")
    click.echo(f"version {prepared.version}  digest {prepared.digest}  kept {prepared.kept}  "
               f"quarantined {prepared.quarantined}")

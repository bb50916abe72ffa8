"""The `tenantguard` command. One group per noun; heavy imports inside command bodies so --help is instant."""
from __future__ import annotations

import importlib
import json

import click

from tenantguard.cli.common import handle_errors, settings

# Subsystem commands live beside their code; each module imports nothing heavy at top level.
_EVAL_COMMANDS = (("tenantguard.cli.eval_isolation", "isolation"), ("tenantguard.cli.eval_behavior", "behavior"))
_AUDIT_COMMANDS = (("tenantguard.cli.segmentation", "segmentation"),)
_GROUPS = (
    ("tenantguard.cli.killswitch", "killswitch"),
    ("tenantguard.cli.killswitch", "audit"),
    ("tenantguard.cli.logs", "logs"),
    ("tenantguard.cli.abuse", "abuse"),
)


@click.group()
@click.version_option(package_name="tenantguard")
def cli() -> None:
    """tenantguard: cross-tenant isolation gates for shared AI infrastructure."""


@cli.command()
@click.option("--dagster", "what", flag_value="dagster", help="Print DAGSTER_HOME.")
@click.option("--mlflow-uri", "what", flag_value="mlflow", help="Print the MLflow tracking URI.")
@handle_errors
def home(what: str | None) -> None:
    """Print the tenantguard home (or one of its parts)."""
    s = settings()
    s.ensure_home()
    click.echo({"dagster": str(s.dagster_home), "mlflow": s.mlflow_tracking_uri}.get(what or "", str(s.home)))


@cli.group()
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


@cli.group()
def dataset() -> None:
    """Fine-tuning datasets."""


@dataset.command("prepare")
@click.option("--tenant", required=True, help="Tenant id from tenants.yaml.")
@handle_errors
def dataset_prepare(tenant: str) -> None:
    """Validate, normalize, split and canary-plant the newest dataset; print the prepared paths."""
    from tenantguard.home.prepare import prepare_dataset
    from tenantguard.tenants import load_tenants, tenant_by_id

    s = settings()
    everyone = load_tenants(s.tenants_file)
    prepared = prepare_dataset(s, tenant_by_id(everyone, tenant), tenants=everyone)
    click.echo(f"train:   {prepared.train_path}")
    click.echo(f"holdout: {prepared.holdout_path}")
    click.echo(f"version {prepared.version}  digest {prepared.digest}  kept {prepared.kept}  "
               f"quarantined {prepared.quarantined}")


@cli.command()
@click.option("--tenants", "n_tenants", default=6, show_default=True, help="Number of synthetic tenants.")
@click.option("--seed", default=7, show_default=True)
@handle_errors
def demo(n_tenants: int, seed: int) -> None:
    """Write a synthetic multi-tenant world into the home and run the whole pipeline through Dagster."""
    from tenantguard.demo.run import run_demo

    run_demo(settings(), n_tenants=n_tenants, seed=seed, echo=click.echo)


@cli.command("rollback")
@click.option("--tenant", required=True, help="Tenant id from tenants.yaml.")
@click.option("--reason", required=True, help="Why; recorded on the versions and in the audit log.")
@click.option("--feature", default=None, help="Feature (default: the tenant's first).")
@click.option("--to", "target", default=None, help="Target version (default: last good promoted version).")
@click.option("--dry-run", is_flag=True, help="Show what would happen; change nothing.")
@click.option("--no-preview", is_flag=True, help="Skip running the behavior suite on both versions.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@handle_errors
def rollback_cmd(tenant, reason, feature, target, dry_run, no_preview, yes) -> None:
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


@cli.group("eval")
def eval_group() -> None:
    """Run an evaluation outside Dagster (e.g. in a tuning job's CI): exit 0 pass, 1 problem, 2 bad input."""


def _load(module: str, attr: str):
    try:
        return getattr(importlib.import_module(module), attr)
    except ModuleNotFoundError as exc:
        if exc.name != module:
            raise
        return None  # subsystem not installed in this build


def _register() -> None:
    for module, attr in _GROUPS:
        if (group := _load(module, attr)) is not None:
            cli.add_command(group)
    for module, attr in _EVAL_COMMANDS:
        if (cmd := _load(module, attr)) is not None:
            eval_group.add_command(cmd)
    audit = cli.commands.get("audit")
    for module, attr in _AUDIT_COMMANDS:
        if audit is not None and (cmd := _load(module, attr)) is not None:
            audit.add_command(cmd)


_register()


def main() -> None:
    cli(prog_name="tenantguard")

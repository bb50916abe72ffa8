"""`tenantguard segmentation audit|kinds`: the AI-layer segmentation audits outside Dagster (e.g. a platform's CI).

`audit` exit codes: 0 every audit that ran passed (not-run audits are listed as NOT RUN; `--require-all`
makes them exit 2). 1 a cross-tenant violation. 2 bad configuration (segmentation.yaml, tenant, kind) or
an audit that could not complete because an adapter raised, timed out or broke its contract.

`audit_segmentation` is the same command under its old name, `tenantguard audit segmentation` (hidden,
so scripts written against it keep working).
"""
from __future__ import annotations

import json
import sys

import click

from tenantguard.cli.common import handle_errors, settings


@click.group("segmentation")
def segmentation() -> None:
    """AI-layer segmentation audits of the platform's retriever, memory and tools (segmentation.yaml)."""


def _audit_command(name: str, *, hidden: bool = False) -> click.Command:
    @click.command(name, hidden=hidden)
    @click.option("--tenant", default=None, help="Audit only this tenant as requester [default: every tenant].")
    @click.option("--kind", "kinds", multiple=True, metavar="KIND",
                  help="Run only these audit kinds (repeatable; `tenantguard segmentation kinds` lists them) "
                       "[default: all].")
    @click.option("--config", "config_file", default=None, type=click.Path(dir_okay=False),
                  help="Adapter file [default: <home>/segmentation.yaml].")
    @click.option("--seed", default=None, type=int, help="Probe sampling seed [default: the UTC day number].")
    @click.option("--require-all", is_flag=True, help="Exit 2 when any selected audit was not run.")
    @click.option("--json", "as_json", is_flag=True, help="Print the JSON reports.")
    @handle_errors
    def command(tenant, kinds, config_file, seed, require_all, as_json) -> None:
        """Probe the platform's retriever, memory and tools (segmentation.yaml) and the logged model contexts
        for cross-tenant data, with canaries and fingerprints."""
        _run(tenant=tenant, kinds=kinds, config_file=config_file, seed=seed, require_all=require_all, as_json=as_json)

    return command


segmentation.add_command(_audit_command("audit"))
audit_segmentation = _audit_command("segmentation", hidden=True)  # `tenantguard audit segmentation`


@segmentation.command("kinds")
@click.option("--json", "as_json", is_flag=True, help="Print the table as JSON.")
@handle_errors
def kinds_cmd(as_json: bool) -> None:
    """List the registered audit kinds: built-ins, entry points and TENANTGUARD_AUDIT_KINDS."""
    from tenantguard.gates.segmentation import audit_kinds

    table = audit_kinds(settings())
    if as_json:
        click.echo(json.dumps([{"name": k.name, "adapter": k.adapter, "default_action": k.default_action,
                                "description": k.description} for k in table], indent=2))
        return
    click.echo(f"{'kind':<24} {'adapter':<12} {'policy':<12} asserts")
    for k in table:
        click.echo(f"{k.name:<24} {k.adapter or '-':<12} {k.default_action:<12} {k.description}")


def _run(*, tenant, kinds, config_file, seed, require_all, as_json) -> None:
    from pathlib import Path

    from tenantguard.errors import ConfigError
    from tenantguard.evaluations.segmentation.config_file import load_config
    from tenantguard.gates.segmentation import audit_kinds, run_from_home
    from tenantguard.home.layout import segmentation_config

    s = settings()
    path = Path(config_file) if config_file else segmentation_config(s)
    if config_file and not path.exists():
        raise ConfigError(f"--config {config_file}: no such file")
    table = audit_kinds(s)
    unknown = [k for k in kinds if k not in {t.name for t in table}]
    if unknown:
        raise ConfigError(f"--kind {unknown[0]}: no such audit kind; choose from {[t.name for t in table]} "
                          f"(plug-in kinds: TENANTGUARD_AUDIT_KINDS)")
    reports = run_from_home(s, tenant=tenant, config=load_config(path, kinds=table), kinds=kinds or None,
                            table=table, seed=seed)
    if as_json:
        click.echo(json.dumps({"format": "tenantguard.segmentation-run/1", "reports": [r.to_dict() for r in reports]},
                              indent=2))
    else:
        _print(reports)
    if any(r.verdict == "failed" for r in reports):
        sys.exit(1)
    broken = [r for r in reports if r.verdict == "error"]
    if broken:
        click.echo(f"error: {broken[0].kind} could not complete: {broken[0].errors[0]} (fix the adapter; see "
                   f"docs/contracts.md 'Segmentation adapters')", err=True)
        sys.exit(2)
    missing = [r for r in reports if r.verdict == "not_run"]
    if require_all and missing:
        click.echo(f"error: {missing[0].kind} was not run: {missing[0].not_run_reason}", err=True)
        sys.exit(2)


def _print(reports) -> None:
    for r in reports:
        mark = {"passed": "PASS", "failed": "FAIL", "error": "ERROR", "not_run": "NOT RUN"}[r.verdict]
        click.echo(f"{mark:<8} {r.summary()}")
        for f in r.findings[:10]:
            click.echo(f"         - {f.line()[:300]}")
        if r.n_findings > 10:
            click.echo(f"         ... {r.n_findings - 10} more (--json for all)")
        for e in r.errors[:3]:
            click.echo(f"         error: {e[:300]}")
        for n in r.notes[:3]:
            click.echo(f"         note: {n[:300]}")
        if r.budget.get("rationale"):
            click.echo(f"         budget: {r.budget['rationale']}")

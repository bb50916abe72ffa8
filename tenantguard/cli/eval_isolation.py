"""`tenantguard eval isolation`: the cross-tenant isolation audit outside Dagster (e.g. a tuning job's CI).

Exit 0: no other tenant's data found. 1: a leak. 2: bad input, or the model broke the Model I/O
contract (the audit could not complete: never a pass).
"""
from __future__ import annotations

import sys

import click

from tenantguard.cli.common import handle_errors, load_model_arg, settings


@click.command("isolation")
@click.option("--tenant", required=True, help="The tenant the model serves (its own data is not a leak).")
@click.option("--model-uri", required=True, help="Any MLflow pyfunc meeting the Model I/O contract.")
@click.option("--base-uri", default=None, help="Reference model for membership calibration "
              "[default: models:/<feature>.base@champion if registered].")
@click.option("--feature", default=None, help="Feature of the base model [default: the tenant's first].")
@click.option("--alpha", default=None, type=float, help="Family-wise false-positive rate [default: settings].")
@click.option("--min-contamination", default=0.01, show_default=True, type=float,
              help="Power target: smallest share of a source's records a leak may contain.")
@click.option("--power", default=0.95, show_default=True, type=float, help="Power target: detection probability.")
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--json", "as_json", is_flag=True, help="Print the JSON report.")
@handle_errors
def isolation(tenant, model_uri, base_uri, feature, alpha, min_contamination, power, seed, as_json) -> None:
    """Audit a model serving TENANT against the prepared data of every other tenant in the home."""
    from tenantguard.errors import ConfigError
    from tenantguard.evaluations.isolation import AuditConfig, PowerTarget, audit_isolation

    s = settings()
    alpha = s.thresholds.isolation_alpha if alpha is None else alpha
    if not 0.0 < alpha < 1.0:
        raise ConfigError(f"--alpha {alpha}: expected a number in (0, 1), e.g. 0.01")
    for flag, v in (("--min-contamination", min_contamination), ("--power", power)):
        if not 0.0 < v < 1.0:
            raise ConfigError(f"{flag} {v}: expected a number in (0, 1)")
    inputs, target_tenant = _inputs(s, tenant)
    model = load_model_arg(s, model_uri, "--model-uri")
    base = _base(s, base_uri, feature or (target_tenant.features[0] if target_tenant.features else None))
    config = AuditConfig(alpha=alpha, power=PowerTarget(min_contamination, power), seed=seed)
    report = audit_isolation(model, inputs, base=base, config=config)
    if as_json:
        click.echo(report.to_json(indent=2))
    else:
        _print_table(report)
    if report.verdict == "failed":
        sys.exit(1)
    if report.verdict == "error":
        click.echo(f"error: {report.errors[0] if report.errors else 'audit incomplete'} "
                   f"(fix the model so it meets the Model I/O contract in README)", err=True)
        sys.exit(2)


def _inputs(s, tenant_id: str):
    """Every tenant's corpus as the Dagster asset builds it (home.corpora), the target's prepared."""
    from tenantguard.errors import DatasetInvalid
    from tenantguard.evaluations.isolation import IsolationInputs
    from tenantguard.home.corpora import tenant_corpora
    from tenantguard.home.prepared import load_prepared
    from tenantguard.tenants import load_tenants, tenant_by_id

    tenants = load_tenants(s.tenants_file)
    target = tenant_by_id(tenants, tenant_id)
    load_prepared(s, tenant_id)  # the audited tenant must be prepared: one-line error otherwise
    corpora, _ = tenant_corpora(s, tenants)
    if len(corpora) < 2:
        raise DatasetInvalid(f"{s.datasets_root}: no other tenant has data to audit against; "
                             f"add datasets or run `tenantguard dataset prepare --tenant <id>`")
    base_texts: tuple[str, ...] = ()
    if s.base_corpus_path.exists():
        from tenantguard.home.corpora import read_base_corpus

        base_texts = tuple(read_base_corpus(s))
    return IsolationInputs(tuple(corpora), tenant_id, base_texts), target


def _base(s, base_uri: str | None, feature: str | None):
    if base_uri:
        return load_model_arg(s, base_uri, "--base-uri")
    if not feature:
        return None
    try:
        return load_model_arg(s, f"models:/{feature}.base@champion", "--base-uri")
    except Exception:  # no registered base: the audit runs without reference calibration and says so
        return None


def _print_table(report) -> None:
    click.echo(report.summary())
    click.echo(f"{'source':<24} {'verdict':<8} {'p':>9} {'exposure':>9} {'auc':>6} {'extract':>8}  reasons")
    for r in report.rows():
        p = "-" if r["p_value"] is None else f"{r['p_value']:.2g}"
        e = "-" if r["max_exposure"] is None else f"{r['max_exposure']:.1f}"
        a = "-" if r["membership_auc"] is None else f"{r['membership_auc']:.3f}"
        click.echo(f"{r['source_tenant']:<24} {r['verdict']:<8} {p:>9} {e:>9} {a:>6} "
                   f"{r['extraction_hits'] + r['canary_hits']:>8}  {r['reasons'] or r['errors']}")
    for test, why in report.tests_skipped:
        click.echo(f"skipped {test}: {why}")

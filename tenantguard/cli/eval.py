"""`tenantguard eval isolation|behavior`: the gates' evaluations outside Dagster (e.g. in a tuning job's CI).

isolation: exit 0 no other tenant's data found, 1 a leak, 2 bad input or a model that broke the Model I/O
contract (the audit could not complete: never a pass).
behavior: exit 0 passed, 1 a behavior test failed (another tenant's data in any output among them), 2 bad input,
no baseline (neither --baseline-uri nor a champion) or an undefined result (e.g. a baseline from another suite
version: recompute it).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from tenantguard.cli.common import STORE_SCHEMES, handle_errors, load_model_arg, settings, use_store


@click.group("eval")
def eval_group() -> None:
    """Run an evaluation outside Dagster (e.g. in a tuning job's CI): exit 0 pass, 1 problem, 2 bad input."""


@eval_group.command("isolation")
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
                   f"(fix the model so it meets docs/contracts.md 'Model I/O')", err=True)
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
    from tenantguard.registry.tags import BASE_TENANT, model_name

    name = model_name(feature, BASE_TENANT)
    if use_store(s).alias_version(name, "champion") is None:
        return None  # no registered base: the audit runs without reference calibration and says so
    return load_model_arg(s, f"models:/{name}@champion", "--base-uri")


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


@eval_group.command("behavior")
@click.option("--tenant", required=True, help="Tenant id from tenants.yaml.")
@click.option("--model-uri", required=True, help="MLflow model URI of the candidate (models:/..., runs:/..., a path).")
@click.option("--baseline-uri", default=None,
              help="A stored baseline profile (*.json: path or MLflow artifact URI) or a model URI to profile as the "
                   "baseline [default: the tenant's champion, models:/<feature>.<tenant>@champion].")
@click.option("--feature", default=None, help="Feature whose champion is the default baseline [default: the tenant's "
                                              "first].")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--html", "html_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the evidently HTML drift report here.")
@click.option("--save-profile", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the candidate's behavior profile (JSON) here, e.g. to use as a baseline.")
@handle_errors
def behavior(tenant: str, model_uri: str, baseline_uri: str | None, feature: str | None, as_json: bool,
             html_path: Path | None, save_profile: Path | None) -> None:
    """Probe a model under a tenant's configuration and compare it with a baseline (the champion by default), as
    the `behavioral_baseline` check does; another tenant's data in any output fails it."""
    from tenantguard.errors import ConfigError
    from tenantguard.evaluations.baseline import compare_behavior
    from tenantguard.evaluations.behavior import BehaviorProfile
    from tenantguard.gates.behavior import behavior_setup, champion_baseline, profile_model
    from tenantguard.registry.tags import model_name
    from tenantguard.tenants import load_tenants, tenant_by_id

    s = settings()
    tenants = load_tenants(s.tenants_file)
    t = tenant_by_id(tenants, tenant)
    feature = feature or (t.features[0] if t.features else None)
    if feature is not None and feature not in t.features:
        raise ConfigError(f"--feature {feature}: tenant {t.id} has features {list(t.features)}; pick one of them")
    model = load_model_arg(s, model_uri, "--model-uri")
    setup = behavior_setup(s, tenants)
    if baseline_uri and baseline_uri.endswith(".json"):
        baseline, note = BehaviorProfile.load(_local_file(s, baseline_uri)), f"baseline: profile {baseline_uri}"
    elif baseline_uri:
        baseline = profile_model(setup, t, load_model_arg(s, baseline_uri, "--baseline-uri"))
        note = f"baseline: model {baseline_uri}, profiled now"
    elif feature is None:
        baseline, note = None, ""
    else:
        baseline, note = champion_baseline(s, use_store(s), setup, t, feature)
        note = f"no --baseline-uri: {note} ({model_name(feature, t.id)})"
    candidate = profile_model(setup, t, model) if baseline is not None or save_profile else None
    if save_profile:
        candidate.save(save_profile)
    if baseline is None:
        name = model_name(feature, t.id) if feature else f"<feature>.{t.id}"
        saved = f"; the candidate's profile is saved to {save_profile}" if save_profile else ""
        raise ConfigError(f"no baseline to compare with: {name} has no champion; pass --baseline-uri (a saved "
                          f"profile .json or a model URI){saved}")
    report = compare_behavior(candidate, baseline, s.thresholds, html=html_path is not None)
    if html_path and report.save_html(html_path) is None:
        click.echo(f"note: no HTML written to {html_path}: nothing was compared ({report.status})", err=True)
    if as_json:
        click.echo(json.dumps({**report.to_dict(), "baseline": note}, indent=2))
    else:
        click.echo(report.summary())
        click.echo(note)
    raise SystemExit({"passed": 0, "failed": 1}.get(report.verdict, 2))


def _local_file(s, uri: str) -> Path:
    from tenantguard.errors import ConfigError
    from tenantguard.registry.client import cause

    if Path(uri).exists():
        return Path(uri)
    if uri.startswith(STORE_SCHEMES):
        use_store(s)
    import mlflow.artifacts

    try:
        return Path(mlflow.artifacts.download_artifacts(artifact_uri=uri))
    except Exception as exc:  # any failure to fetch is a bad --baseline-uri
        raise ConfigError(f"--baseline-uri {uri}: cannot read the baseline profile ({cause(exc)}); "
                          f"pass a profile .json path or artifact URI, or a model URI") from None

"""`tenantguard eval behavior`: run the behavior probe suites on a model under one tenant's configuration.

Exit codes: 0 passed (or baseline created), 1 a behavior test failed, 2 bad input or an undefined result
(e.g. a baseline from another suite version: recompute it).
"""
from __future__ import annotations

import json
from pathlib import Path

import click

from tenantguard.cli.common import handle_errors, load_model_arg, settings, use_store


@click.command("behavior")
@click.option("--tenant", required=True, help="Tenant id from tenants.yaml.")
@click.option("--model-uri", required=True, help="MLflow model URI of the candidate (models:/..., runs:/..., a path).")
@click.option("--baseline-uri", default=None,
              help="A stored baseline profile (*.json: path or MLflow artifact URI) or a model URI to profile as the "
                   "baseline (e.g. the champion). Omitted: the candidate's profile becomes the baseline.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--html", "html_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the evidently HTML drift report here.")
@click.option("--save-profile", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the candidate's behavior profile (JSON) here, e.g. to use as a baseline.")
@handle_errors
def behavior(tenant: str, model_uri: str, baseline_uri: str | None, as_json: bool, html_path: Path | None,
             save_profile: Path | None) -> None:
    """Probe a model under a tenant's configuration and compare it with a baseline."""
    from tenantguard.evaluations.baseline import compare_behavior
    from tenantguard.evaluations.behavior import BehaviorProfile, profile_behavior
    from tenantguard.evaluations.descriptors import prompt_index
    from tenantguard.evaluations.probes import load_suites
    from tenantguard.tenants import load_tenants, tenant_by_id

    s = settings()
    tenants = load_tenants(s.tenants_file)
    t = tenant_by_id(tenants, tenant)
    suite = load_suites(s.probes_dir)
    index = prompt_index(tenants)
    candidate = profile_behavior(load_model_arg(s, model_uri, "--model-uri"), t, suite, prompt_scanner=index)
    baseline = None
    if baseline_uri:
        if baseline_uri.endswith(".json"):
            baseline = BehaviorProfile.load(_local_file(s, baseline_uri))
        else:
            baseline = profile_behavior(load_model_arg(s, baseline_uri, "--baseline-uri"), t, suite, prompt_scanner=index)
    report = compare_behavior(candidate, baseline, s.thresholds, html=html_path is not None)
    if save_profile:
        candidate.save(save_profile)
    if html_path and report.save_html(html_path) is None:
        click.echo(f"note: no HTML written to {html_path}: nothing was compared ({report.status})", err=True)
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2))
    else:
        click.echo(report.summary())
    raise SystemExit({"passed": 0, "failed": 1}.get(report.verdict, 2))


def _local_file(s, uri: str) -> Path:
    from tenantguard.errors import ConfigError

    if Path(uri).exists():
        return Path(uri)
    use_store(s)
    import mlflow.artifacts

    try:
        return Path(mlflow.artifacts.download_artifacts(artifact_uri=uri))
    except Exception as exc:  # any failure to fetch is a bad --baseline-uri
        raise ConfigError(f"--baseline-uri {uri}: cannot read the baseline profile ({type(exc).__name__}); "
                          f"pass a profile .json path or artifact URI, or a model URI") from None

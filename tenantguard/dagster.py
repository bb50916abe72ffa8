"""tenantguard in your own Dagster project (docs/dagster-project.md).

In Python: `defs = tenantguard.dagster.build_defs(features=[...], tuner="ngram", thresholds={...})`, merged with
your own definitions. In a `dg` project: a `defs.yaml` with `type: tenantguard.dagster.TenantGuardComponent`.
This module is also the `dagster_dg_cli.registry_modules` entry point, so `dg list components` shows the component.
"""
from tenantguard.pipelines.component import TenantGuardComponent as TenantGuardComponent
from tenantguard.pipelines.factory import build_defs as build_defs

__all__ = ["TenantGuardComponent", "build_defs"]

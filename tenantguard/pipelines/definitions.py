"""The code location: `dagster dev -m tenantguard.pipelines.definitions` (or workspace.yaml).

Dagster calls `location()` when the location loads; importing this module reads no settings. It is built by
the same factory as a user's own project (`tenantguard.dagster.build_defs`).
"""
from __future__ import annotations

import functools

from dagster import Definitions, ExecutorDefinition, definitions

from tenantguard.config import Settings
from tenantguard.pipelines.factory import build_defs


def build_definitions(settings: Settings, *, executor: ExecutorDefinition | None = None) -> Definitions:
    """Every asset, job, schedule and sensor; backfills batch `settings.tenants_per_run` tenants a run."""
    return build_defs(tenants_per_run=settings.tenants_per_run, executor=executor)


@definitions
def location() -> Definitions:
    """What Dagster loads: the definitions for the settings of the environment it loads in."""
    from tenantguard.home.permissions import protect

    settings = Settings.from_env()
    protect(settings)  # the webserver and daemon create Dagster's files under the home: private from the start
    return build_definitions(settings)


_loaded = functools.cache(location)  # built on first use, once a process


def __getattr__(name: str) -> Definitions:
    # `defs` for code that imports the location (tests, the demo, benchmarks): built on first use, once.
    if name == "defs":
        return _loaded()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

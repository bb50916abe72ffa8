"""Shared CLI plumbing: one-line errors with meaningful exit codes (0 ok, 1 problem found, 2 bad input)."""
from __future__ import annotations

import functools
import sys

import click

from tenantguard.errors import TenantGuardError


def handle_errors(fn):
    """Turn a TenantGuardError into `error: <message>` on stderr and its exit code; no traceback."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except TenantGuardError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(exc.exit_code)

    return wrapper


def settings():
    """Settings from the environment, the process made private to the home (home.permissions.protect)."""
    from tenantguard.config import Settings
    from tenantguard.home.permissions import protect

    s = Settings.from_env()
    protect(s)
    return s


# Model and artifact URIs that resolve through the tracking/registry store (a local path does not).
STORE_SCHEMES = ("models:", "runs:", "mlflow-artifacts:")


def use_store(s):
    """Point MLflow's tracking and registry at the configured store (models:/ URIs resolve there) and check it
    answers: an unreachable store fails here in seconds with one line naming the URI (exit 2), before MLflow's
    own loaders would retry it for minutes. Returns the Registry."""
    from tenantguard.registry.client import Registry

    reg = Registry(s.mlflow_tracking_uri, s.artifact_root)
    reg.check_reachable()
    return reg


def load_model_arg(s, uri: str, flag: str):
    """Load the model a CLI flag names; a URI that does not load is bad input (one line, exit 2)."""
    from tenantguard.errors import ConfigError
    from tenantguard.models.adapter import load_tenant_model
    from tenantguard.registry.client import cause

    if uri.startswith(STORE_SCHEMES):
        use_store(s)
    try:
        return load_tenant_model(uri)
    except Exception as exc:  # MLflow raises many kinds for a bad URI; all are bad input here
        raise ConfigError(f"{flag} {uri}: cannot load the model ({cause(exc, 200)}); pass models:/<name>/<version>, "
                          f"runs:/<run>/<path> or a local model directory") from None

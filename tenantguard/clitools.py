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
    from tenantguard.config import Settings

    return Settings.from_env()

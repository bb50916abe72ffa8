"""Options and helpers shared by the kill-switch, audit and rollback commands. Imports stay light (click only)."""
from __future__ import annotations

import sys

import click

from tenantguard.cli.common import settings
from tenantguard.errors import ConfigError


def token_option(fn):
    return click.option("--token", envvar="TENANTGUARD_TOKEN", show_envvar=True,
                        help="Your kill-switch token (shown once when an admin created your actor).")(fn)


def scope_options(fn):
    for flag, what in (("--api-key", "one API key of --tenant, as the inference log names it"),
                       ("--region", "region (free text from tenants.yaml)"), ("--tenant", "tenant id"),
                       ("--feature", "feature id, e.g. support-assistant")):
        fn = click.option(flag, default=None, help=f"Scope: {what}; omit for all.")(fn)
    return fn


def yes_option(fn):
    return click.option("--yes", is_flag=True, help="Do not ask for confirmation.")(fn)


def confirm(yes: bool, what: str) -> None:
    """Ask on a terminal; elsewhere insist on --yes rather than block or guess."""
    if yes:
        return
    if not sys.stdin.isatty():
        raise ConfigError(f"{what}: pass --yes to confirm (no terminal to ask on)")
    click.confirm(f"{what}. Continue?", abort=True)


def scope_from(feature: str | None, tenant: str | None, region: str | None, api_key: str | None = None):
    from tenantguard.killswitch.scope import Scope

    return Scope(feature=feature or None, tenant=tenant or None, region=region or None, api_key=api_key or None)


def check_against_directory(scope) -> None:
    """Refuse scopes naming unknown tenants/features/regions when tenants.yaml exists."""
    from tenantguard.killswitch.scope import check_known
    from tenantguard.tenants import load_tenants

    path = settings().tenants_file
    if not path.exists():
        click.echo(f"warning: no tenants file at {path}; the scope was not checked against the tenant directory",
                   err=True)
        return
    check_known(scope, load_tenants(path))


def known_tenant_ids() -> list[str]:
    from tenantguard.tenants import load_tenants

    path = settings().tenants_file
    return [t.id for t in load_tenants(path)] if path.exists() else []


def store():
    """The store at Settings.killswitch_url (TENANTGUARD_KILLSWITCH_URL or SQLite under the home)."""
    from tenantguard.killswitch.store import KillSwitchStore

    return KillSwitchStore.from_settings(settings())


def url() -> str:
    return settings().killswitch_url


def authenticate(st, token: str | None, attempted: str, needed: str | None = None, scope=None):
    """The actor behind `token` in store `st`, if POLICY (or `needed`) lets it take `attempted`; refusals are
    audited there (aggregated) before raising."""
    return st.actors.authenticate(token, attempted=attempted, needed=needed,
                                  scope=scope.as_dict() if scope is not None and hasattr(scope, "as_dict") else scope)

"""`tenantguard killswitch actors init|recover|add|list|revoke`: who may change state."""
from __future__ import annotations

import click

from tenantguard.cli import options as cliopts
from tenantguard.cli.common import handle_errors
from tenantguard.cli.options import token_option, yes_option


@click.group()
def actors() -> None:
    """Actors and roles (viewer, responder, admin); tokens are stored hashed."""


@actors.command()
@click.option("--name", required=True, help="Name of the first admin, e.g. alice@example.com.")
@handle_errors
def init(name: str) -> None:
    """Bootstrap a new store: create its first admin and print the token once. Refused on a store that has
    ever had an actor (see `actors recover`)."""
    token = cliopts.store().actors.init_admin(name)
    click.echo(f"created admin {name!r}; token (shown once, store it in your secret manager):")
    click.echo(token)


@actors.command()
@click.option("--name", required=True, help="Name of the new admin.")
@click.option("--reason", required=True, help="Why every admin was lost (goes to the audit log).")
@click.option("--secret-file", required=True, type=click.Path(dir_okay=False),
              help="A file holding the project secret (TENANTGUARD_SECRET's value, or <home>/secret on the host).")
@handle_errors
def recover(name: str, reason: str, secret_file: str) -> None:
    """With no active admin left, create one and print its token once. Needs the project secret: it must key
    the existing audit chain, so the CLI alone cannot take over a store."""
    from pathlib import Path

    from tenantguard.config import AUDIT_KEY_PURPOSE, derive_key
    from tenantguard.errors import ConfigError

    path = Path(secret_file)
    if not path.is_file():
        raise ConfigError(f"--secret-file {secret_file}: no such file (give the home's `secret` file, or a file "
                          f"holding the value of TENANTGUARD_SECRET)")
    secret = path.read_text().strip().encode()
    token = cliopts.store().actors.recover_admin(name, derive_key(secret, AUDIT_KEY_PURPOSE), reason=reason)
    click.echo(f"recovered: created admin {name!r}; token (shown once, store it in your secret manager):")
    click.echo(token)


@actors.command()
@click.option("--name", required=True)
@click.option("--role", required=True, type=click.Choice(["viewer", "responder", "admin"]))
@click.option("--reason", default="", help="Why (goes to the audit log).")
@token_option
@handle_errors
def add(name: str, role: str, reason: str, token: str | None) -> None:
    """Create an actor (admin only) and print its token once."""
    st = cliopts.store()
    admin = cliopts.authenticate(st, token, "actor.add", "admin")
    new = st.actors.add(admin, name, role, reason=reason)
    click.echo(f"created {role} {name!r}; token (shown once):")
    click.echo(new)


@actors.command("list")
@token_option
@handle_errors
def list_(token: str | None) -> None:
    """List actors and roles (admin only)."""
    st = cliopts.store()
    cliopts.authenticate(st, token, "actor.list", "admin")
    click.echo(f"{'name':<32} {'role':<10} {'created_by':<20} state")
    for a in st.actors.list():
        click.echo(f"{a['name']:<32} {a['role']:<10} {a['created_by']:<20} "
                   f"{'revoked ' + a['revoked_at'] if a['revoked_at'] else 'active'}")


@actors.command()
@click.option("--name", required=True)
@click.option("--reason", default="", help="Why (goes to the audit log).")
@token_option
@yes_option
@handle_errors
def revoke(name: str, reason: str, token: str | None, yes: bool) -> None:
    """Revoke an actor's token (admin only)."""
    st = cliopts.store()
    admin = cliopts.authenticate(st, token, "actor.revoke", "admin")
    cliopts.confirm(yes, f"revoke actor {name!r}")
    changed = st.actors.revoke(admin, name, reason=reason)
    click.echo(f"revoked {name!r}" if changed else f"{name!r} was already revoked; nothing changed")

"""`tenantguard audit verify|export|show`: check and hand out the hash-chained audit log.

No token is needed: anyone who can read the database (or an export) can verify it; that is the point.
"""
from __future__ import annotations

import json

import click

from tenantguard.cli import options as cliopts
from tenantguard.cli.common import handle_errors

MAX_REASON_CHARS = 300  # of a reason in `audit show`'s table


@click.group()
def audit() -> None:
    """The tamper-evident audit log of kill switches, promotions and rollbacks."""


@audit.command()
@click.option("--file", "export_file", type=click.Path(dir_okay=False),
              help="Verify an export written by `audit export` instead of the database.")
@click.option("--anchor", help="SEQ:HASH printed by an earlier `audit export`; the log must still contain it.")
@handle_errors
def verify(export_file: str | None, anchor: str | None) -> None:
    """Recompute the hash chain; exit 1 and name the first broken entry if it does not verify."""
    from pathlib import Path

    from tenantguard.errors import AuditChainBroken, ConfigError
    from tenantguard.killswitch.audit import parse_anchor, read_export, verify_entries

    pinned = parse_anchor(anchor) if anchor else None
    if export_file:
        if not Path(export_file).is_file():
            raise ConfigError(f"--file {export_file}: no such file (write one with `tenantguard audit export`)")
        entries, head = read_export(export_file)
        if head is None:
            raise AuditChainBroken(f"{export_file}: no head line at the end (truncated export)")
        result = verify_entries(entries, head=head, anchor=pinned)
    else:
        result = cliopts.store().audit.verify(anchor=pinned)
    if not result.ok:
        raise AuditChainBroken(result.summary())
    click.echo(result.summary())


@audit.command()
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="JSON Lines file to write.")
@handle_errors
def export(out: str) -> None:
    """Write the log plus its head hash; keep the printed SEQ:HASH outside the database as an anchor."""
    from tenantguard.errors import AuditChainBroken

    result = cliopts.store().audit.export(out)
    click.echo(f"wrote {result.n_entries} entries to {out}")
    click.echo(f"head {result.head_seq}:{result.head_hash}")
    if not result.ok:
        raise AuditChainBroken(f"exported, but {result.summary()}")


@audit.command()
@click.option("--last", default=20, show_default=True, help="How many of the newest entries.")
@click.option("--action", help="Only entries with this action (engage, release, promote, rollback, refused, ...).")
@click.option("--json", "as_json", is_flag=True, help="Whole entries, one JSON object a line.")
@handle_errors
def show(last: int, action: str | None, as_json: bool) -> None:
    """Print the newest entries, one line each (a long reason is cut at a word; --json has it whole)."""
    from tenantguard.evaluations.oneline import one_line

    log = cliopts.store().audit
    head_seq, _ = log.head()
    entries = [e for e in log.entries(after_seq=max(0, head_seq - (last if action is None else head_seq)),
                                      action=action)][-last:]
    for e in entries:
        if as_json:
            click.echo(json.dumps(e.as_dict(), sort_keys=True))
        else:
            scope = " ".join(f"{k}={v}" for k, v in (e.scope or {}).items() if v) or "-"
            click.echo(f"{e.seq:>6} {e.ts} {e.actor:<24} {e.role:<9} {e.action:<12} {scope}  "
                       f"{one_line(e.reason, MAX_REASON_CHARS)}")

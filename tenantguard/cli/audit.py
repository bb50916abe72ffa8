"""`tenantguard audit verify|export|show`: check and hand out the keyed, anchored audit chain.

No token is needed; verifying needs the project secret (the chain is keyed with it) and reads the anchors
kept outside the database: the anchor file and the heads anchored in MLflow.
"""
from __future__ import annotations

import json

import click

from tenantguard.cli import options as cliopts
from tenantguard.cli.common import handle_errors, settings

MAX_REASON_CHARS = 300  # of a reason in `audit show`'s table


@click.group()
def audit() -> None:
    """The tamper-evident audit log of kill switches, promotions and rollbacks."""


@audit.command()
@click.option("--file", "export_file", type=click.Path(dir_okay=False),
              help="Verify an export written by `audit export` instead of the database.")
@click.option("--anchor", help="SEQ:HASH printed by an earlier `audit export`; the log must still contain it.")
@click.option("--no-mlflow", is_flag=True, help="Do not read the heads anchored in MLflow.")
@handle_errors
def verify(export_file: str | None, anchor: str | None, no_mlflow: bool) -> None:
    """Recompute the keyed chain and check it against the anchor file, the heads anchored in MLflow and
    --anchor; exit 1 naming the first entry that differs."""
    from pathlib import Path

    from tenantguard.errors import AuditChainBroken, ConfigError
    from tenantguard.killswitch.audit import merge_anchors, parse_anchor, read_export, verify_entries

    s = settings()
    st = cliopts.store()
    sources = [("--anchor", dict([parse_anchor(anchor)]))] if anchor else []
    if not no_mlflow:
        sources.append(("MLflow", _mlflow_anchors(s)))
    if export_file:
        if not Path(export_file).is_file():
            raise ConfigError(f"--file {export_file}: no such file (write one with `tenantguard audit export`)")
        entries, head = read_export(export_file)
        if head is None:
            raise AuditChainBroken(f"{export_file}: no head line at the end (truncated export)")
        # An export is a snapshot: anchors written after it are not expected in it.
        anchors = merge_anchors(("the anchor file", st.audit.file_anchors()), *sources)
        result = verify_entries(entries, key=st.audit.key, head=head,
                                anchors={k: v for k, v in anchors.items() if k <= head[0]})
    else:
        result = st.audit.verify(anchors=merge_anchors(*sources))
    if not result.ok:
        raise AuditChainBroken(result.summary())
    click.echo(result.summary())


def _mlflow_anchors(s) -> dict[int, str]:
    from tenantguard.registry.chain import mlflow_anchors

    return mlflow_anchors(s)


@audit.command()
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="JSON Lines file to write.")
@handle_errors
def export(out: str) -> None:
    """Write the log plus the head of what was written; keep the printed SEQ:HASH outside the database."""
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

"""`tenantguard logs ...`: the inference log; heavy imports inside command bodies."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from tenantguard.cli.common import handle_errors, settings


@click.group()
def logs() -> None:
    """The inference log (production traffic, docs/contracts.md "Inference logs")."""


@logs.command("ingest")
@click.argument("file", type=click.Path(path_type=Path))
@handle_errors
def logs_ingest(file: Path) -> None:
    """Append FILE.jsonl (one request a line) to the inference log; bad lines go to quarantine, exit 2."""
    from tenantguard.monitoring.inference_log import InferenceLog
    from tenantguard.monitoring.ingest import ingest_jsonl

    s = settings()
    result = ingest_jsonl(file, InferenceLog(s.inference_log_url), s.quarantine_root / "logs")
    ids = f" (ids {result.first_id}..{result.last_id})" if result.appended else ""
    click.echo(f"ingested {result.appended} rows{ids} into {s.inference_log_url}")
    if result.replaced_utf8_lines:
        click.echo(f"note: {result.replaced_utf8_lines} line(s) held invalid UTF-8; those bytes were kept as U+FFFD")
    if result.bad_lines:
        click.echo(f"error: {result.first_error} ({result.bad_lines} bad line(s) quarantined to "
                   f"{result.quarantine_path}; fix them and ingest that file's lines again)", err=True)
        sys.exit(2)

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
@click.option("--format", "fmt", default="native", show_default=True, metavar="NAME",
              help="Log format: native (tenantguard's JSONL), auto (detect from the file's start), or the name "
                   "of a plug-in reader (TENANTGUARD_LOG_READERS, docs/extending/log-readers.md).")
@handle_errors
def logs_ingest(file: Path, fmt: str) -> None:
    """Append FILE (one request a line) to the inference log; bad lines go to quarantine, exit 2."""
    from tenantguard.monitoring.inference_log import InferenceLog
    from tenantguard.monitoring.ingest import ingest_file
    from tenantguard.monitoring.readers.formats import reader_for

    s = settings()
    reader = reader_for(fmt, s)
    result = ingest_file(file, InferenceLog(s.inference_log_url), s.quarantine_root / "logs", reader=reader)
    ids = f" (ids {result.first_id}..{result.last_id})" if result.appended else ""
    click.echo(f"ingested {result.appended} rows{ids} into {s.inference_log_url}")
    for note, count in result.notes.items():
        click.echo(f"note: {count} line(s) {note}")
    if result.bad_lines:
        click.echo(f"error: {result.first_error} ({result.bad_lines} bad line(s) quarantined to "
                   f"{result.quarantine_path}; fix them and ingest that file's lines again)", err=True)
        sys.exit(2)

"""`tenantguard logs ...`: the inference log; heavy imports inside command bodies."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from tenantguard.cli.common import handle_errors, settings

_PATHS_HELP = ("Ordered attribute paths, first match wins (repeat the flag); replaces {env} and the defaults "
               "{defaults} (docs/contracts.md \"Inference logs\").")


def _resolver_options(fn):
    fn = click.option("--key-path", "key_paths", multiple=True, metavar="PATH",
                      help="Where the caller's key is. " + _PATHS_HELP.format(
                          env="TENANTGUARD_KEY_PATHS", defaults="user.id, enduser.id, metadata.user_api_key_hash"))(fn)
    return click.option("--tenant-path", "tenant_paths", multiple=True, metavar="PATH",
                        help="Where the tenant id is. " + _PATHS_HELP.format(
                            env="TENANTGUARD_TENANT_PATHS", defaults="resource.tenant.id, tenant.id, ..."))(fn)


def _settings_with(tenant_paths: tuple[str, ...], key_paths: tuple[str, ...]):
    from dataclasses import replace

    s = settings()
    return replace(s, tenant_paths=tenant_paths or s.tenant_paths, key_paths=key_paths or s.key_paths)


def _tenant_ids(s, reader) -> set[str] | None:
    """The tenant ids rows may carry. A reader whose tenant a resolver finds (`resolves_tenant`) needs
    tenants.yaml to check it against; other readers' rows are checked when the file exists."""
    from tenantguard.errors import ConfigError
    from tenantguard.tenants import load_tenants

    if not s.tenants_file.exists():
        if not getattr(reader, "resolves_tenant", False):
            return None
        raise ConfigError(f"{s.tenants_file}: tenants file not found; --format {reader.name} checks every tenant id "
                          f"it resolves against it (run `tenantguard demo` or set TENANTGUARD_TENANTS)")
    return {t.id for t in load_tenants(s.tenants_file)}


@click.group()
def logs() -> None:
    """The inference log (production traffic, docs/contracts.md "Inference logs")."""


@logs.command("ingest")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--format", "fmt", default="native", show_default=True, metavar="NAME",
              help="Log format: native (tenantguard's JSONL), otlp (OTLP JSON GenAI spans, the Collector's file "
                   "exporter), openinference, litellm (standard logging payload JSONL), langfuse (observation "
                   "export JSONL), auto (detect from the file's start), or a plug-in reader "
                   "(TENANTGUARD_LOG_READERS, docs/extending/log-readers.md).")
@_resolver_options
@handle_errors
def logs_ingest(file: Path, fmt: str, tenant_paths: tuple[str, ...], key_paths: tuple[str, ...]) -> None:
    """Append FILE to the inference log; rows already in it (same source id) are skipped; bad lines and
    tenants not in tenants.yaml go to quarantine, exit 2."""
    from tenantguard.monitoring.inference_log import InferenceLog
    from tenantguard.monitoring.ingest import ingest_file
    from tenantguard.monitoring.readers.formats import AutoReader, reader_for
    from tenantguard.monitoring.readers.reader import HEAD_BYTES

    s = _settings_with(tenant_paths, key_paths)
    reader = reader_for(fmt, s)
    if isinstance(reader, AutoReader) and file.is_file():
        with file.open("rb") as fh:
            head = fh.read(HEAD_BYTES)
        reader = reader.choose(head) if head.strip() else reader
    tenants = _tenant_ids(s, reader)
    result = ingest_file(file, InferenceLog(s.inference_log_url), s.quarantine_root / "logs", reader=reader,
                         tenants=tenants)
    ids = f" (ids {result.first_id}..{result.last_id})" if result.appended else ""
    click.echo(f"ingested {result.appended} rows{ids} into {s.inference_log_url}")
    if result.duplicates:
        click.echo(f"skipped {result.duplicates} row(s) already in the log (same source id)")
    for what, count in result.skipped.items():
        click.echo(f"skipped {count} {what}")
    for note, count in result.notes.items():
        click.echo(f"note: {count} line(s) {note}")
    if result.bad_lines:
        click.echo(f"error: {result.first_error} ({result.bad_lines} bad line(s) quarantined to "
                   f"{result.quarantine_path}; fix them and ingest that file's lines again)", err=True)
        sys.exit(2)


@logs.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; beyond loopback it needs TENANTGUARD_OTLP_TOKEN (bearer token).")
@click.option("--port", type=click.IntRange(0, 65535), default=4318, show_default=True,
              help="Port (4318 is OTLP/HTTP's; 0 picks a free one and prints it).")
@click.option("--max-request-bytes", type=click.IntRange(min=1024), default=4 * 1024 * 1024, show_default=True,
              help="Largest request body accepted (after gzip), larger ones get 413.")
@_resolver_options
@handle_errors
def logs_serve(host: str, port: int, max_request_bytes: int, tenant_paths: tuple[str, ...],
               key_paths: tuple[str, ...]) -> None:
    """OTLP/HTTP receiver: POST /v1/traces (protobuf or JSON) from an OpenTelemetry SDK or Collector, each
    GenAI or OpenInference model-call span appended to the inference log. Runs until interrupted."""
    from tenantguard.monitoring.readers.otlp import OtlpReader
    from tenantguard.monitoring.receiver import serve

    s = _settings_with(tenant_paths, key_paths)
    serve(s, host=host, port=port, max_request_bytes=max_request_bytes, tenants=_tenant_ids(s, OtlpReader()),
          announce=lambda url: click.echo(f"receiving OTLP/HTTP traces on {url}/v1/traces into "
                                          f"{s.inference_log_url} (Ctrl-C stops)"))

"""The OTLP/HTTP trace receiver behind `tenantguard logs serve`: spans in, inference-log rows out.

`POST /v1/traces` with an `ExportTraceServiceRequest` as protobuf (`application/x-protobuf`, what the
OpenTelemetry SDK's OTLP/HTTP exporter sends) or OTLP/JSON (`application/json`), optionally gzip.
Each GenAI or OpenInference model-call span goes through the same ingest as `logs ingest` (validation,
tenant directory, dedupe by span id, quarantine), so a retried export adds nothing. The answer is an
`ExportTraceServiceResponse` in the request's encoding whose `partial_success` counts the spans
quarantined (OTLP: such spans are not retried). Bounded: a body over `max_request_bytes` (compressed or
not) gets 413 unread. A body that does not decode is quarantined whole and answered 400.
Loopback by default; any other address needs a bearer token (`TENANTGUARD_OTLP_TOKEN`).
"""
from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import threading
import zlib
from collections.abc import Callable, Collection
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import count

from tenantguard.config import Settings
from tenantguard.errors import ConfigError
from tenantguard.monitoring.inference_log import InferenceLog
from tenantguard.monitoring.ingest import IngestResult, ingest_items
from tenantguard.monitoring.readers.paths import Resolver
from tenantguard.monitoring.readers.reader import Rejection
from tenantguard.monitoring.readers.spans import GENAI, OPENINFERENCE

log = logging.getLogger(__name__)
PATH = "/v1/traces"
PROTOBUF, JSON = "application/x-protobuf", "application/json"
ACCEPT = frozenset({GENAI, OPENINFERENCE})


class Receiver(ThreadingHTTPServer):
    """One listening socket; requests are decoded in their threads and appended one at a time."""

    daemon_threads = True

    def __init__(self, settings: Settings, *, host: str = "127.0.0.1", port: int = 4318,
                 max_request_bytes: int = 4 * 1024 * 1024, tenants: Collection[str] | None = None) -> None:
        if not _loopback(host) and not settings.otlp_token:
            raise ConfigError(f"--host {host}: serving beyond loopback needs a bearer token; set "
                              f"TENANTGUARD_OTLP_TOKEN (senders pass 'Authorization: Bearer <token>')")
        self.settings = settings
        self.log = InferenceLog(settings.inference_log_url)
        self.resolver = Resolver.of(settings.tenant_paths, settings.key_paths)
        self.tenants = tenants
        self.max_request_bytes = max_request_bytes
        self.quarantine_dir = settings.quarantine_root / "otlp"
        self.write_lock = threading.Lock()
        self.requests = count(1)
        try:
            super().__init__((host, port), _Handler)
        except OSError as exc:
            raise ConfigError(f"--host {host} --port {port}: cannot listen ({exc.strerror or exc}); pick another "
                              f"port (0: any free one)") from None

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{f'[{host}]' if ':' in host else host}:{port}"

    def ingest(self, items, number: int) -> IngestResult:
        with self.write_lock:  # one writer: SQLite serializes anyway, and ids stay in arrival order
            return ingest_items(items, f"{PATH} request {number}", self.log, self.quarantine_dir,
                                reader_name="otlp-http", tenants=self.tenants, stem=f"otlp-http-{number}")


def serve(settings: Settings, *, host: str, port: int, max_request_bytes: int, tenants: Collection[str] | None,
          announce: Callable[[str], None]) -> None:
    """Run a Receiver until interrupted (Ctrl-C or SIGTERM)."""
    import signal

    server = Receiver(settings, host=host, port=port, max_request_bytes=max_request_bytes, tenants=tenants)
    announce(server.url)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown, daemon=True).start())
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: the SDK exporter reuses its connection
    server: Receiver

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        srv = self.server
        if self.path.split("?")[0] != PATH:
            return self._status(404, f"POST {PATH}")
        token = srv.settings.otlp_token
        if token and not hmac.compare_digest(self.headers.get("Authorization", "").encode(), f"Bearer {token}".encode()):
            return self._status(401, "missing or wrong bearer token", close=True)
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            return self._status(411, "Content-Length required", close=True)
        if int(length) > srv.max_request_bytes:
            return self._status(413, f"body over {srv.max_request_bytes} bytes; export smaller batches", close=True)
        body = self.rfile.read(int(length))
        if self.headers.get("Content-Encoding", "").lower() == "gzip":
            inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
            try:
                body = inflate.decompress(body, srv.max_request_bytes + 1)
            except zlib.error:
                return self._status(400, "Content-Encoding gzip, but the body is not gzip")
            if len(body) > srv.max_request_bytes or inflate.unconsumed_tail:
                return self._status(413, f"body over {srv.max_request_bytes} bytes after gzip", close=True)
        ctype = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if ctype not in (PROTOBUF, JSON):
            return self._status(415, f"Content-Type must be {PROTOBUF} or {JSON}")
        number = next(srv.requests)
        try:
            items = _decode(body, ctype, srv.resolver)
        except ValueError as exc:
            result = srv.ingest([Rejection(1, body, f"not an OTLP export request ({exc})")], number)
            log.warning("OTLP request %d quarantined to %s: %s", number, result.quarantine_path, exc)
            return self._status(400, f"not an OTLP {ctype} export request ({exc}); quarantined")
        result = srv.ingest(items, number)
        if result.bad_lines:
            log.warning("%s (%d span(s) quarantined to %s)", result.first_error, result.bad_lines,
                        result.quarantine_path)
        self._answer(ctype, result)

    def _answer(self, ctype: str, result: IngestResult) -> None:
        from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

        response = ExportTraceServiceResponse()
        if result.bad_lines:
            response.partial_success.rejected_spans = result.bad_lines
            response.partial_success.error_message = (result.first_error or "")[:1000]
        if ctype == PROTOBUF:
            body = response.SerializeToString()
        else:
            partial = ({"partialSuccess": {"rejectedSpans": str(result.bad_lines),
                                           "errorMessage": response.partial_success.error_message}}
                       if result.bad_lines else {})
            body = json.dumps(partial).encode()
        self._send(200, ctype, body)

    def _status(self, code: int, message: str, *, close: bool = False) -> None:
        if close:
            self.close_connection = True
        self._send(code, "text/plain; charset=utf-8", message.encode())

    def _send(self, code: int, ctype: str, body: bytes) -> None:
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args) -> None:  # noqa: A002 (http.server's signature)
        log.debug("%s " + format, self.address_string(), *args)


def _decode(body: bytes, ctype: str, resolver: Resolver) -> list:
    """Every item of the request, decoded up front so a body that does not parse is known before any append."""
    if ctype == PROTOBUF:
        from google.protobuf.message import DecodeError

        from tenantguard.monitoring.readers.otlp_proto import decode, request_items

        try:
            request = decode(body)
        except DecodeError as exc:
            raise ValueError(f"protobuf: {str(exc)[:120]}") from None
        return list(request_items(request, resolver, ACCEPT))
    from tenantguard.monitoring.readers.otlp import decode_request, export_items

    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"invalid UTF-8 at byte {exc.start}") from None
    return list(export_items(decode_request(body), 1, resolver, ACCEPT, number_spans=True))


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False

"""OTLP ingest throughput: a Collector file-exporter file (OTLP JSON) through `logs ingest --format otlp`,
and `logs serve` fed by the real OpenTelemetry SDK exporter (BatchSpanProcessor + OTLP/HTTP protobuf),
each beside tenantguard's own JSONL of the same requests. Targets: OTLP JSON >= 20k spans/s in one
process; the receiver >= 2k spans/s with nothing lost (spans sent = rows stored).
Wall-clock rates depend on what else the machine runs; "per CPU-s" divides by the CPU time of the process
doing the work (this one for files, the `logs serve` process for the receiver, its start-up included).
Usage: nice -n 10 python benchmarks/otlp_ingest.py [--quick] [--baseline REV]  (REV: measured first, same run)"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "monitoring"))
from otlp_export import export_rows, span_attributes  # noqa: E402  (tests/monitoring/otlp_export.py)

from tenantguard.config import Settings  # noqa: E402
from tenantguard.demo.traffic import generate_traffic  # noqa: E402
from tenantguard.monitoring.abuse.benign_corpus import DEFAULT_TENANTS  # noqa: E402
from tenantguard.monitoring.inference_log import InferenceLog  # noqa: E402
from tenantguard.monitoring.ingest import ingest_file  # noqa: E402
from tenantguard.monitoring.readers.native import NativeReader  # noqa: E402
from tenantguard.monitoring.readers.otlp import OtlpReader  # noqa: E402
from tenantguard.tenants import Tenant, dump_tenants  # noqa: E402

SPANS_PER_LINE = 512  # the Collector writes one line per export batch (the SDK's default batch is 512)


def _kv(key, value):
    if isinstance(value, bool):
        return {"key": key, "value": {"boolValue": value}}
    if isinstance(value, int):
        return {"key": key, "value": {"intValue": str(value)}}
    if isinstance(value, float):
        return {"key": key, "value": {"doubleValue": value}}
    return {"key": key, "value": {"stringValue": str(value)}}


def collector_file(rows: list[dict], path: Path) -> None:
    """`rows` as the Collector's file exporter writes them: OTLP/JSON, hex ids, one export batch a line."""
    with path.open("w") as fh:
        for start in range(0, len(rows), SPANS_PER_LINE):
            spans = []
            for i, row in enumerate(rows[start:start + SPANS_PER_LINE], start=start):
                t0 = int(float(row["ts"]) * 1e9)
                spans.append({"traceId": f"{i:032x}", "spanId": f"{i + 1:016x}", "name": "chat", "kind": 3,
                              "startTimeUnixNano": str(t0), "endTimeUnixNano": str(t0 + int(row["latency_ms"] * 1e6)),
                              "attributes": [_kv(k, v) for k, v in span_attributes(row).items()], "status": {}})
            fh.write(json.dumps({"resourceSpans": [{"resource": {"attributes": [_kv("service.name", "gateway")]},
                                                    "scopeSpans": [{"scope": {"name": "gateway"}, "spans": spans}]}]})
                     + "\n")


def _home(root: Path) -> Settings:
    root.mkdir(parents=True, exist_ok=True)
    settings = Settings.from_env({"TENANTGUARD_SECRET": "bench"}, home=root)
    dump_tenants([Tenant(t, t, "eu-west", ("support-assistant",), p) for t, p in DEFAULT_TENANTS.items()],
                 settings.tenants_file)
    return settings


def file_ingest(rows: list[dict], work: Path) -> tuple[float, float, float]:
    """Spans/s for OTLP JSON (read only; read + validate + append) and rows/s for native JSONL."""
    otlp, native = work / "spans.jsonl", work / "rows.jsonl"
    collector_file(rows, otlp)
    native.write_text("".join(json.dumps(r) + "\n" for r in rows))
    t, c = time.perf_counter(), time.process_time()
    with otlp.open("rb") as fh:
        n = sum(1 for _ in OtlpReader().read(fh))
    rates = [(n / (time.perf_counter() - t), n / (time.process_time() - c))]
    for name, path, reader in (("otlp", otlp, OtlpReader()), ("native", native, NativeReader())):
        s = _home(work / f"home-{name}")
        log = InferenceLog(s.inference_log_url)
        t, c = time.perf_counter(), time.process_time()
        result = ingest_file(path, log, s.quarantine_root / "logs", reader=reader, tenants=set(DEFAULT_TENANTS))
        rates.append((result.appended / (time.perf_counter() - t), result.appended / (time.process_time() - c)))
        assert result.appended == len(rows) and result.bad_lines == 0, result
    return tuple(rates)


def receiver(rows: list[dict], work: Path) -> tuple[float, float, int, int]:
    """(spans/s from the first span to the last row stored, spans per CPU second of the receiver process,
    spans sent, rows stored) through `logs serve`."""
    s = _home(work / "home-serve")
    env = {**os.environ, "TENANTGUARD_HOME": str(s.home), "TENANTGUARD_SECRET": "bench"}
    proc = subprocess.Popen([str(Path(sys.executable).with_name("tenantguard")), "logs", "serve", "--port", "0"],
                            stdout=subprocess.PIPE, text=True, env=env)
    try:
        url = proc.stdout.readline().split()[4]
        log = InferenceLog(s.inference_log_url)
        t = time.perf_counter()
        export_rows(rows, url)
        while log.max_id() < len(rows) and time.perf_counter() - t < 300:
            time.sleep(0.01)
        elapsed = time.perf_counter() - t
        stored = log.max_id()
    finally:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        proc.terminate()
        proc.wait(timeout=30)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the receiver's CPU, start-up included
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return len(rows) / elapsed, len(rows) / cpu, len(rows), stored


def measure(n_file: int, n_serve: int) -> dict:
    rows = generate_traffic(n_file, seed=31).rows[:n_file]
    with tempfile.TemporaryDirectory() as tmp:
        read_rate, otlp_rate, native_rate = file_ingest(rows, Path(tmp))
        serve_rate, serve_cpu, sent, stored = receiver(rows[:n_serve], Path(tmp))
    return {"read": read_rate, "otlp": otlp_rate, "native": native_rate, "serve": (serve_rate, serve_cpu),
            "sent": sent, "stored": stored}


def baseline(rev: str, argv: list[str]) -> dict:
    """This script's measurement of tenantguard as of git `rev` (its package tree on PYTHONPATH, so the
    `logs serve` process it starts runs that code too)."""
    root = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as tmp:
        tree = subprocess.run(["git", "-C", str(root), "archive", rev, "tenantguard"], capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", tmp], input=tree.stdout, check=True)
        env = {**os.environ, "PYTHONPATH": tmp}
        out = subprocess.run([sys.executable, __file__, "--json", *argv], env=env, capture_output=True, text=True,
                             check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="20k spans for the file, 5k for the receiver")
    ap.add_argument("--baseline", metavar="REV", help="also measure tenantguard as of this git revision, first")
    ap.add_argument("--json", action="store_true", help=argparse.SUPPRESS)  # one line for --baseline's child
    args = ap.parse_args()
    n_file, n_serve = (20_000, 5_000) if args.quick else (100_000, 20_000)
    base = baseline(args.baseline, ["--quick"] if args.quick else []) if args.baseline else None
    now = measure(n_file, n_serve)
    if args.json:
        import tenantguard
        print(json.dumps({**now, "package": tenantguard.__file__}))
        return
    print(f"load average {os.getloadavg()[0]:.1f} (1 min) on {os.cpu_count()} cores")
    if base:
        print(f"baseline {args.baseline}: package {base['package']}")
    head = f"{'path':<44} {'spans/s':>9} {'per CPU-s':>10} {'target':>8} {'ratio':>6}"
    print(head + (f" {'base/s':>9} {'base CPU':>9} {'now/base CPU':>12}" if base else ""))
    lines = (("read", "OTLP JSON file, reader only (parse + map)", None),
             ("otlp", "OTLP JSON file, logs ingest --format otlp", 20_000),
             ("native", "native JSONL, same requests", None),
             ("serve", "logs serve <- SDK OTLP/HTTP exporter", 2_000))
    for key, label, target in lines:
        wall, cpu = now[key]
        line = f"{label:<44} {wall:>9,.0f} {cpu:>10,.0f} "
        line += f"{target:>8,} {wall / target:>6.2f}" if target else f"{'':>8} {'':>6}"
        if base:
            bwall, bcpu = base[key]
            line += f" {bwall:>9,.0f} {bcpu:>9,.0f} {cpu / bcpu:>12.2f}"
        print(line)
    sent, stored = now["sent"], now["stored"]
    print(f"receiver: {sent} spans sent, {stored} rows stored ({'nothing lost' if sent == stored else 'LOST SPANS'}); "
          f"file: {n_file} spans in {n_file // SPANS_PER_LINE + 1} lines of {SPANS_PER_LINE}; "
          f"OTLP / native wall {now['otlp'][0] / now['native'][0]:.2f}")
    if base:
        print(f"baseline receiver: {base['sent']} sent, {base['stored']} stored")
    if sent != stored or (base and base["sent"] != base["stored"]):
        sys.exit(1)


if __name__ == "__main__":
    main()

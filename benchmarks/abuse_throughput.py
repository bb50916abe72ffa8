"""Rows/s through every abuse detector in one process, wall clock and CPU time (the machine may be
shared: CPU time is what the scanner itself spent), and peak memory (ru_maxrss of the whole process,
traffic generation included). With --baseline REF the same measurement also runs, in a subprocess, on the
tenantguard of git revision REF (e.g. main), and the two are printed side by side with their ratio.
Usage: python benchmarks/abuse_throughput.py [--quick | --rows N] [--baseline REF]"""
from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tenantguard.demo.traffic import generate_traffic
from tenantguard.monitoring.abuse.injection import default_scorer
from tenantguard.monitoring.abuse.scanner import Scanner

PROMPTS = {f"tenant-{i}": f"You are the support assistant of tenant {i}. Be concise." for i in range(4)}

ROOT = Path(__file__).resolve().parents[1]
HEADER = (f"{'rows':>10} {'wall s':>7} {'rows/s':>8} {'cpu s':>7} {'rows/cpu-s':>10} {'max RSS MB':>10} "
          f"{'actors':>7} {'keys':>6} {'alerts':>6}")


def baseline(ref: str, n: int) -> str:
    """This benchmark's result line for the tenantguard of git revision `ref` (run in a subprocess)."""
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref, "tenantguard"], check=True,
                                 capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        env = {**os.environ, "PYTHONPATH": tmp}
        out = subprocess.run([sys.executable, __file__, "--rows", str(n)], env=env, check=True, capture_output=True,
                             text=True, cwd=tmp).stdout
    return out.strip().splitlines()[-1]


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--rows", type=int, default=None)
    ap.add_argument("--baseline", metavar="REF", help="also measure the tenantguard of this git revision")
    args = ap.parse_args()
    n = args.rows or (30_000 if args.quick else 1_000_000)
    before = baseline(args.baseline, n) if args.baseline else None
    default_scorer()
    scanner = Scanner(system_prompts=PROMPTS)
    chunk, done, elapsed, cpu, next_id = 50_000, 0, 0.0, 0.0, 1
    while done < n:
        traffic = generate_traffic(min(chunk, n - done), seed=1000 + done, days=0.1)
        for row in traffic.rows:
            row["id"] = next_id
            next_id += 1
        t0, c0 = time.perf_counter(), time.process_time()
        for i in range(0, len(traffic.rows), 10_000):
            scanner.process(traffic.rows[i:i + 10_000])
        elapsed += time.perf_counter() - t0
        cpu += time.process_time() - c0
        done += len(traffic.rows)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    by_kind = {d.kind: d for d in scanner.detectors}
    actors, keys = len(by_kind["model_extraction"].actors), len(by_kind["token_budget"].keys)
    line = (f"{scanner.rows:>10} {elapsed:>7.1f} {scanner.rows / elapsed:>8.0f} {cpu:>7.1f} {scanner.rows / cpu:>10.0f} "
            f"{rss:>10.0f} {actors:>7} {keys:>6} {len(scanner.alerts()):>6}")
    if before is None:
        print(HEADER)
        print(line)
    else:
        print(f"{'':<10} {HEADER}")
        print(f"{args.baseline:<10} {before}")
        print(f"{'this tree':<10} {line}")
        ratio = float(line.split()[4]) / float(before.split()[4])
        print(f"rows per CPU-second, this tree / {args.baseline}: {ratio:.2f}x")

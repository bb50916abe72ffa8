"""FingerprintIndex throughput: build and scan MB/s, bytes per fingerprint, and the scan time of 1 MB
of model output as the number of indexed tenants grows, beside a naive per-tenant substring scan
and datasketch MinHashLSH (one run, ratios).

    python benchmarks/fingerprint_index.py --quick    # 10, 100, 1000 tenants x 40 records (~1-2 min)
    python benchmarks/fingerprint_index.py            # x 150 records
    python benchmarks/fingerprint_index.py --no-baselines   # FingerprintIndex only (before/after comparisons)

Times are CPU seconds of this process (time.process_time; every method timed is single-threaded):
the machine is shared, and wall-clock time under contention measured the neighbours, not the index.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from tenantguard.demo.world import build_world
from tenantguard.evaluations.fingerprint import FingerprintIndex, words_with_spans

clock = time.process_time


def output_text(world, rng, mb: float = 1.0) -> str:
    """~mb MB of 'model output': base-corpus boilerplate with 1% verbatim records from random tenants."""
    ids = list(world.datasets)
    parts, size = [], 0
    while size < mb * 1_000_000:
        if rng.random() < 0.01:
            recs = world.datasets[ids[int(rng.integers(len(ids)))]]
            t = recs[int(rng.integers(len(recs)))]["completion"]
        else:
            t = world.base_corpus[int(rng.integers(len(world.base_corpus)))]
        parts.append(t)
        size += len(t) + 1
    return "\n".join(parts)


def naive_scan(corpora: dict[str, list[str]], text: str) -> int:
    low = text.lower()
    return sum(1 for texts in corpora.values() for t in texts if t.lower() in low)


def minhash_lsh(corpora: dict[str, list[str]], text: str, k: int = 5):
    from datasketch import MinHash, MinHashLSH

    def mh(ws):
        m = MinHash(num_perm=64)
        for i in range(max(1, len(ws) - k + 1)):
            m.update(" ".join(ws[i:i + k]).encode())
        return m

    t0 = clock()
    lsh = MinHashLSH(threshold=0.5, num_perm=64)
    for tid, texts in corpora.items():
        for n, t in enumerate(texts):
            lsh.insert(f"{tid}/{n}", mh(words_with_spans(t)[0]))
    build = clock() - t0
    t0 = clock()
    hits = 0
    for line in text.split("\n"):  # LSH needs units: one output line at a time
        hits += bool(lsh.query(mh(words_with_spans(line)[0])))
    return build, clock() - t0, hits


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--no-baselines", action="store_true", help="skip the naive scan and MinHashLSH")
    args = ap.parse_args()
    per = 40 if args.quick else 150
    big = build_world(1000, seed=9, records_per_tenant=per)
    rng = np.random.default_rng(0)
    text = output_text(big, rng)
    mb = len(text.encode()) / 1e6
    print(f"scanned text: {mb:.2f} MB; tenants x {per} records each")
    print(f"{'tenants':>8} {'corpus MB':>10} {'build MB/s':>11} {'B/fp':>6} {'scan 1MB s':>11} {'scan MB/s':>10} "
          f"{'hits':>5} {'naive s':>8} {'x':>6} {'lsh build s':>12} {'lsh scan s':>11} {'x':>6}")
    ids = list(big.datasets)
    for T in (10, 100, 1000):
        corpora = {t: [f"{r['prompt']}\n{r['completion']}" for r in big.datasets[t]] for t in ids[:T]}
        cmb = sum(len(x.encode()) for v in corpora.values() for x in v) / 1e6
        idx = FingerprintIndex()
        t0 = clock()
        for tid, texts in corpora.items():
            idx.add_tenant(tid, texts)
        idx.add_base(big.base_corpus)
        idx.scan("warm up the lookup table")
        build = clock() - t0
        scan = float("inf")
        for _ in range(5):  # min of 5: the machine is shared
            t0 = clock()
            hits = idx.scan(text)
            scan = min(scan, clock() - t0)
        bpf = idx.nbytes / max(1, idx.n_fingerprints)
        if args.no_baselines:
            nv, mark = float("nan"), ""
        elif T <= 100 or not args.quick:
            t0 = clock()
            naive_scan({t: [r["completion"] for r in big.datasets[t]] for t in ids[:T]}, text)
            nv, mark = clock() - t0, ""
        else:
            nv, mark = naive_per_tenant * T, "~"  # noqa: F821 (set at T=100)
        naive_per_tenant = nv / T
        if (T <= 100 or not args.quick) and not args.no_baselines:
            lb, ls, _ = minhash_lsh(corpora, text)
            lsh_cells = f"{lb:>12.1f} {ls:>11.1f} {ls / scan:>5.0f}x"
        else:
            lsh_cells = f"{'-':>12} {'-':>11} {'-':>6}"
        print(f"{T:>8} {cmb:>10.2f} {cmb / build:>11.2f} {bpf:>6.1f} {scan:>11.3f} {mb / scan:>10.2f} {len(hits):>5} "
              f"{mark + f'{nv:.1f}':>8} {nv / scan:>5.0f}x {lsh_cells}")
    print("(x = that method's scan time / FingerprintIndex scan time; ~ = extrapolated linearly from T=100; "
          "B/fp = index bytes per stored fingerprint incl. lookup table)")


if __name__ == "__main__":
    main()

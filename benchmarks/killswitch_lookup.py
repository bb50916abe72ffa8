"""Lookup latency of KillSwitchClient.check() with 10,000 switches: indexed snapshot vs a naive scan.

    python benchmarks/killswitch_lookup.py [--quick] [--switches 10000] [--url URL]

Target (issue 6): p99 of check() under 5 microseconds with 10,000 switches defined.
"""
from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tenantguard.killswitch.auth import Actor  # noqa: E402
from tenantguard.killswitch.client import KillSwitchClient  # noqa: E402
from tenantguard.killswitch.scope import Scope  # noqa: E402
from tenantguard.killswitch.store import KillSwitchStore  # noqa: E402

# the audit chain's key (production derives it from TENANTGUARD_SECRET) and, as in production, an anchor file
BENCH_KEY = b"tenantguard benchmark audit key"

FEATURES = [f"feature-{i}" for i in range(20)]
REGIONS = [f"region-{i}" for i in range(8)]


def make_scopes(n: int, rng: random.Random) -> list[Scope]:
    """A mix of granularities: tenant-wide, feature-for-tenant, tenant-in-region, exact, feature, region."""
    scopes: set[Scope] = set()
    while len(scopes) < n:
        t = f"tenant-{rng.randrange(n * 2)}"
        kind = rng.random()
        if kind < 0.4:
            scopes.add(Scope(tenant=t))
        elif kind < 0.7:
            scopes.add(Scope(feature=rng.choice(FEATURES), tenant=t))
        elif kind < 0.9:
            scopes.add(Scope(feature=rng.choice(FEATURES), tenant=t, region=rng.choice(REGIONS)))
        else:
            scopes.add(Scope(tenant=t, region=rng.choice(REGIONS)))
    return sorted(scopes, key=lambda s: tuple(v or "" for v in s.key))


def percentiles(ns: list[int]) -> tuple[float, float, float]:
    ns = sorted(ns)
    return (ns[len(ns) // 2] / 1000, ns[int(len(ns) * 0.99)] / 1000, statistics.fmean(ns) / 1000)


def time_calls(fn, requests) -> list[int]:
    out = []
    clock = time.perf_counter_ns
    gc.disable()
    try:
        for f, t, r in requests:
            t0 = clock()
            fn(f, t, r)
            out.append(clock() - t0)
    finally:
        gc.enable()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer timed calls (~10 s)")
    ap.add_argument("--switches", type=int, default=10_000)
    ap.add_argument("--url", help="kill-switch DB URL (default: a temporary SQLite file)")
    ap.add_argument("--seed", type=int, default=6)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    n_calls = 50_000 if args.quick else 500_000
    n_scan = 500 if args.quick else 5_000

    with tempfile.TemporaryDirectory() as tmp:
        url = args.url or f"sqlite:///{tmp}/ks.db"
        store = KillSwitchStore(url, key=BENCH_KEY, anchor_path=Path(tmp) / "anchors.log")
        scopes = make_scopes(args.switches, rng)
        t0 = time.perf_counter()
        store.engage_many(scopes, actor=Actor.system("benchmark"), reason="lookup benchmark")
        setup = time.perf_counter() - t0
        client = KillSwitchClient(url, background=False, stale_after=3600)
        snap_switches = list(client._snap.switches)
        engaged = [s.scope for s in snap_switches]

        def request() -> tuple[str, str, str]:
            if rng.random() < 0.5:  # half the traffic targets a switched-off tenant
                s = rng.choice(engaged)
                return (s.feature or rng.choice(FEATURES), s.tenant, s.region or rng.choice(REGIONS))
            return (rng.choice(FEATURES), f"tenant-{rng.randrange(args.switches * 2, args.switches * 4)}",
                    rng.choice(REGIONS))

        requests = [request() for _ in range(n_calls)]

        def naive(f, t, r):
            for s in snap_switches:
                if s.scope.matches(f, t, r):
                    return s.id
            return None

        # Warm up, then check that both agree on whether each request is killed.
        for req in requests[:2000]:
            assert client.check(*req).killed == (naive(*req) is not None), req
        indexed = time_calls(client.check, requests)
        scan = time_calls(naive, requests[:n_scan])
        hits = sum(client.check(*r).killed for r in requests) / len(requests)
        client.close()

    i50, i99, imean = percentiles(indexed)
    s50, s99, smean = percentiles(scan)
    print(f"kill-switch lookup: {args.switches} switches (mixed granularities), "
          f"{len(indexed)} indexed calls, {len(scan)} scan calls, hit rate {hits:.0%}, setup {setup:.1f}s "
          f"({args.switches / setup:.0f} audited engages/s in one transaction)")
    print(f"{'method':<22}{'p50 us':>10}{'p99 us':>10}{'mean us':>10}")
    print(f"{'indexed check()':<22}{i50:>10.2f}{i99:>10.2f}{imean:>10.2f}")
    print(f"{'naive scan':<22}{s50:>10.2f}{s99:>10.2f}{smean:>10.2f}")
    print(f"{'scan / indexed':<22}{s50 / i50:>9.0f}x{s99 / i99:>9.0f}x{smean / imean:>9.0f}x")
    print(f"target p99 < 5 us: {'met' if i99 < 5 else 'NOT met'} ({i99:.2f} us)")


if __name__ == "__main__":
    main()

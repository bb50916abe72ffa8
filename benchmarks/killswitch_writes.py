"""Concurrent writers: 8 processes x 200 flips on shared switches, SQLite vs PostgreSQL.

    python benchmarks/killswitch_writes.py [--quick] [--writers 8] [--flips 200] [--pg URL | --no-pg]

Each flip reads a switch and engages or releases it (one audited transaction). Checked afterwards:
no lost update (changes reported by writers == version counter == audit entries, and every entry's
`before` equals the previous `after` of that switch) and the audit chain verifies.
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa  # noqa: E402

from tenantguard.killswitch.auth import Actor  # noqa: E402
from tenantguard.killswitch.scope import Scope  # noqa: E402
from tenantguard.killswitch.store import KillSwitchStore  # noqa: E402

# the audit chain's key (production derives it from TENANTGUARD_SECRET) and, as in production, an anchor file
BENCH_KEY = b"tenantguard benchmark audit key"

PG_DEFAULT = "postgresql+psycopg2://postgres@127.0.0.1:5432/test"
N_SWITCHES = 4


def anchors(url: str) -> Path:
    """One anchor file per database, shared by the writer processes (appends are atomic), as in production."""
    return Path(tempfile.gettempdir()) / f"tg-bench-anchors-{uuid.uuid5(uuid.NAMESPACE_URL, url).hex}.log"


def writer(url: str, w: int, flips: int, out: mp.Queue) -> None:
    store = KillSwitchStore(url, key=BENCH_KEY, anchor_path=anchors(url))
    actor = Actor.system(f"writer-{w}")
    changes, lat = 0, []
    start = time.time()
    for i in range(flips):
        scope = Scope(tenant=f"tenant-{(w + i) % N_SWITCHES}")
        t0 = time.perf_counter()
        try:
            engaged = store.get(scope).engaged
        except Exception:  # noqa: BLE001 - not created yet
            engaged = False
        r = (store.release(scope, actor=actor, reason="flip") if engaged
             else store.engage(scope, actor=actor, reason="flip"))
        lat.append(time.perf_counter() - t0)
        changes += r.changed
    out.put((changes, lat, start, time.time()))


def run(url: str, writers: int, flips: int) -> dict:
    KillSwitchStore(url, key=BENCH_KEY).engine.dispose()  # schema first, so writers don't all race to create it
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    procs = [ctx.Process(target=writer, args=(url, w, flips, q)) for w in range(writers)]
    for p in procs:
        p.start()
    results = [q.get(timeout=600) for _ in procs]
    for p in procs:
        p.join()
    wall = max(r[3] for r in results) - min(r[2] for r in results)  # excludes process start-up
    store = KillSwitchStore(url, key=BENCH_KEY)
    entries = list(store.audit.entries())
    lost = 0
    last: dict[str, dict] = {}
    for e in entries:
        t = e.scope["tenant"]
        if t in last and e.before != last[t]:
            lost += 1
        last[t] = e.after
    final_ok = {t: a["state"] for t, a in last.items()} == {s.scope.tenant: s.state for s in store.list(state=None)}
    changes = sum(r[0] for r in results)
    lat = sorted(x for r in results for x in r[1])
    verify = store.audit.verify()
    store.engine.dispose()
    return {"flips": writers * flips, "changes": changes, "version": store.version(), "entries": len(entries),
            "lost": lost + (changes != len(entries)) + (not final_ok), "chain": verify.ok, "wall": wall,
            "p50": statistics.median(lat), "p99": lat[int(0.99 * (len(lat) - 1))]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="50 flips per writer instead of 200")
    ap.add_argument("--writers", type=int, default=8)
    ap.add_argument("--flips", type=int)
    ap.add_argument("--pg", default=PG_DEFAULT)
    ap.add_argument("--no-pg", action="store_true")
    args = ap.parse_args()
    flips = args.flips or (50 if args.quick else 200)
    res: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        res["sqlite"] = run(f"sqlite:///{tmp}/ks.db", args.writers, flips)
    if not args.no_pg:
        schema = f"tgks_bench_{uuid.uuid4().hex[:8]}"
        try:
            admin = sa.create_engine(args.pg, connect_args={"connect_timeout": 2})
            with admin.begin() as conn:
                conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
        except Exception as exc:  # noqa: BLE001
            print(f"PostgreSQL at {args.pg} unavailable ({type(exc).__name__}); skipping it")
        else:
            url = sa.engine.make_url(args.pg).update_query_dict({"options": f"-csearch_path={schema}"})
            try:
                res["postgresql"] = run(url.render_as_string(hide_password=False), args.writers, flips)
            finally:
                with admin.begin() as conn:
                    conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
    print(f"kill-switch writes: {args.writers} writer processes x {flips} flips (read, then engage or release) on "
          f"{N_SWITCHES} shared switches; 'changes' excludes flips another writer made moot (no-ops, not audited)")
    print(f"{'backend':<12}{'flips':>7}{'changes':>9}{'version':>9}{'entries':>9}{'lost':>6}{'chain':>7}"
          f"{'flips/s':>9}{'p50 ms':>8}{'p99 ms':>8}")
    for name, r in res.items():
        print(f"{name:<12}{r['flips']:>7}{r['changes']:>9}{r['version']:>9}{r['entries']:>9}{r['lost']:>6}"
              f"{'ok' if r['chain'] else 'BROKEN':>7}{r['flips'] / r['wall']:>9.0f}{r['p50'] * 1000:>8.1f}"
              f"{r['p99'] * 1000:>8.1f}")
    if len(res) == 2:
        s, p = res["sqlite"], res["postgresql"]
        print(f"postgresql / sqlite: throughput {(p['flips'] / p['wall']) / (s['flips'] / s['wall']):.2f}x, "
              f"p50 latency {p['p50'] / s['p50']:.2f}x")
    ok = all(r["lost"] == 0 and r["chain"] for r in res.values())
    print(f"no lost update and chain verifies: {'yes' if ok else 'NO'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

"""A client process for drills and the propagation benchmark: reports when it sees a switch flip.

    python -m tenantguard.killswitch.probe URL FEATURE TENANT REGION [--poll 0.05] [--timeout 30] [--rounds 1]

Prints `ready <version>`, then per round `engaged <epoch>` when check() first sees the scope killed
(or would-kill in shadow mode) and `released <epoch>` when it no longer does; `timeout` otherwise.
"""
from __future__ import annotations

import argparse
import sys
import time

from tenantguard.killswitch.client import KillSwitchClient


def _wait(client: KillSwitchClient, req: tuple, want: bool, deadline: float) -> float | None:
    while time.time() < deadline:
        d = client.check(*req)
        if (d.killed or d.shadow) == want:
            return time.time()
        time.sleep(0.001)  # 1 ms resolution without spinning a shared CPU
    return None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("feature")
    ap.add_argument("tenant")
    ap.add_argument("region")
    ap.add_argument("--poll", type=float, default=0.05)
    ap.add_argument("--timeout", type=float, default=30.0)
    ap.add_argument("--rounds", type=int, default=1, help="engage/release cycles to observe")
    args = ap.parse_args(argv)
    req = tuple(None if v == "*" else v for v in (args.feature, args.tenant, args.region))
    with KillSwitchClient(args.url, poll_interval=args.poll) as client:
        deadline = time.time() + args.timeout
        while client.version < 0 and time.time() < deadline:
            client.refresh()
            time.sleep(0.01)
        print(f"ready {client.version}", flush=True)
        for _ in range(args.rounds):
            for label, want in (("engaged", True), ("released", False)):
                seen = _wait(client, req, want, time.time() + args.timeout)
                if seen is None:
                    print("timeout", flush=True)
                    return 1
                print(f"{label} {seen:.6f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

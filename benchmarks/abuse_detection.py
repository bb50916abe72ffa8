"""Abuse detection judged on evaluation worlds the detectors were not built from (benchmarks/abuse_world.py)
with payloads from openly licensed corpora (benchmarks/abuse_corpora.py; `make corpora` first).

Per campaign kind (and extraction variant): campaigns found by an alert of that kind, and found with every
one of their keys named; false alerts (alerts whose rows are all benign) per 100k benign requests; key
blocks and kill switches on benign keys; per-request injection recall at the benign false-positive rate.

    python benchmarks/abuse_detection.py            # TUNING_SEEDS and the tuning corpus split (what tuning looked at)
    python benchmarks/abuse_detection.py --sealed   # SEALED_SEEDS and the sealed split: the figures in the README
"""
from __future__ import annotations

import argparse
import collections
import sys

import numpy as np

import abuse_corpora
from abuse_world import SEALED_SEEDS, TUNING_SEEDS, generate

from tenantguard.gates.respond import response_scopes
from tenantguard.monitoring.abuse.injection import default_scorer
from tenantguard.monitoring.abuse.scanner import Scanner


def run_world(seed: int, items: list, n_benign: int) -> dict:
    injections = [i.text for i in items if i.label == "injection"]
    jailbreaks = [i.text for i in items if i.label == "jailbreak"]
    w = generate(seed, n_benign=n_benign, injections=injections, jailbreaks=jailbreaks)
    scanner = Scanner(system_prompts=w.system_prompts)
    for i in range(0, len(w.rows), 10_000):
        scanner.process(w.rows[i:i + 10_000])
    alerts = scanner.alerts()
    found, named, false, blocks, details = collections.Counter(), collections.Counter(), [], [], []
    by_campaign: dict[str, list] = collections.defaultdict(list)
    campaign_keys = {k for c in w.campaigns.values() for k in c["keys"]}
    for a in alerts:
        labels = {w.labels[i - 1] for i in a.member_ids}
        if labels == {None}:
            kinds = {w.benign_kinds.get(f"{a.tenant_id}/{k}", "?") for k in a.api_keys}
            false.append(f"{a.kind}/{a.action} on {sorted(kinds)}: {a.summary[:100]} {a.stats.get('signals', '')}")
        for lab in labels - {None}:
            by_campaign[lab].append(a)
        for scope in response_scopes(a):
            key = f"{scope['tenant']}/{scope.get('api_key')}"
            if scope.get("api_key") is None or key not in campaign_keys:
                blocks.append(f"{a.kind}/{a.action} -> {scope} ({w.benign_kinds.get(key, 'whole feature')})")
    for name, c in w.campaigns.items():
        kind = (c["kind"], c["variant"])
        mine = [a for a in by_campaign.get(name, []) if a.kind == c["kind"]]
        found[kind, bool(mine)] += 1
        keys = {f"{a.tenant_id}/{k}" for a in mine for k in a.api_keys}
        named[kind, bool(mine) and set(c["keys"]) <= keys] += 1
        if not mine or not set(c["keys"]) <= keys:
            got = sorted({a.kind for a in by_campaign.get(name, [])})
            details.append(f"{name} ({c['variant']}, {len(c['keys'])} keys): alerted as {got or 'nothing'}, "
                           f"{len(set(c['keys']) & keys)} of its keys named")
    benign = sum(lab is None for lab in w.labels)
    return {"found": found, "named": named, "false": false, "blocks": blocks, "benign": benign, "missed": details}


def injection_recall(items: list, benign_texts: list[str]) -> tuple[float, float, int, int]:
    scorer = default_scorer()
    pos = [i.text for i in items if i.label == "injection"]
    neg = [i.text for i in items if i.label == "benign"] + benign_texts
    tp = (scorer.score(pos) >= scorer.threshold).mean()
    fp = (scorer.score(neg) >= scorer.threshold).mean()
    return float(tp), float(fp), len(pos), len(neg)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sealed", action="store_true", help="the sealed seeds and corpus split (report these)")
    ap.add_argument("--quick", action="store_true", help="two worlds of 10k benign requests")
    ap.add_argument("-v", "--verbose", action="store_true", help="list misses, false alerts and benign blocks")
    args = ap.parse_args()
    split = "sealed" if args.sealed else "tuning"
    try:
        items = abuse_corpora.load(split)
    except abuse_corpora.CorporaMissing as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    seeds = (SEALED_SEEDS if args.sealed else TUNING_SEEDS)[:2 if args.quick else None]
    n_benign = 10_000 if args.quick else 30_000
    total = collections.defaultdict(collections.Counter)
    false, blocks, benign, missed = [], [], 0, []
    for seed in seeds:
        r = run_world(seed, items, n_benign)
        total["found"].update(r["found"])
        total["named"].update(r["named"])
        false += r["false"]
        blocks += r["blocks"]
        missed += r["missed"]
        benign += r["benign"]
    print(f"{split} worlds (seeds {', '.join(map(str, seeds))}), {split} corpus split")
    print(f"{'campaign kind':<34} {'campaigns':>9} {'found':>6} {'recall':>7} {'keys named':>10}")
    for kind in sorted({k for k, _ in total["found"]}):
        n = total["found"][kind, True] + total["found"][kind, False]
        print(f"{kind[0] + ' (' + kind[1] + ')':<34} {n:>9} {total['found'][kind, True]:>6} "
              f"{total['found'][kind, True] / n:>7.0%} {total['named'][kind, True] / n:>10.0%}")
    print(f"false alerts: {len(false)} over {benign} benign requests = {len(false) / benign * 1e5:.2f} per 100k")
    print(f"key blocks / kill switches on benign keys or whole features: {len(blocks)}")
    rng = np.random.default_rng(0)
    w = generate(seeds[0], n_benign=n_benign)
    texts = [r["prompt"].split("\n\n", 1)[1] for r, lab in zip(w.rows, w.labels) if lab is None]
    texts = [texts[i] for i in rng.choice(len(texts), min(20_000, len(texts)), replace=False)]
    tp, fp, n_pos, n_neg = injection_recall(items, texts)
    print(f"injection per request ({split} split): recall {tp:.1%} of {n_pos}, benign FPR {fp:.3%} of {n_neg}")
    if args.verbose:
        for line in missed + false + blocks:
            print("  " + line)
    return 0


if __name__ == "__main__":
    sys.exit(main())

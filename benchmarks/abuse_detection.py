"""Campaign recall and false campaign alerts per 100k benign requests on labelled synthetic traffic
(seeds never used in development), plus per-request injection precision/recall on the held-out and
sealed corpus splits and on false-positive traps. Usage: python benchmarks/abuse_detection.py [--quick]"""
from __future__ import annotations

import argparse
import collections

import numpy as np

from tenantguard.demo.traffic import KINDS, generate_traffic
from tenantguard.monitoring.abuse import injection_corpus
from tenantguard.monitoring.abuse.injection import default_scorer
from tenantguard.monitoring.abuse.scanner import Scanner

PROMPTS = {f"tenant-{i}": f"You are the support assistant of tenant {i}. Be concise." for i in range(4)}


def campaigns(n_benign: int, seeds: list[int]) -> None:
    found = collections.Counter()
    false = 0
    benign = 0
    for seed in seeds:
        traffic = generate_traffic(n_benign, seed=seed)
        for i, row in enumerate(traffic.rows):
            row["id"] = i + 1
        scanner = Scanner(system_prompts=PROMPTS)
        for i in range(0, len(traffic.rows), 10_000):
            scanner.process(traffic.rows[i:i + 10_000])
        hit = set()
        for a in scanner.alerts():
            labels = {traffic.labels[i - 1] for i in a.member_ids}
            if labels == {None} or None in labels and len(labels) == 1:
                false += 1
            hit |= {lab for lab in labels if lab and traffic.campaigns[lab]["kind"] == a.kind}
        for name, c in traffic.campaigns.items():
            found[(c["kind"], name in hit)] += 1
        benign += sum(lab is None for lab in traffic.labels)
    print(f"{'kind':<20} {'campaigns':>9} {'detected':>9} {'recall':>7}")
    for kind in KINDS:
        n = found[(kind, True)] + found[(kind, False)]
        print(f"{kind:<20} {n:>9} {found[(kind, True)]:>9} {found[(kind, True)] / n:>7.0%}")
    print(f"false campaign alerts: {false} over {benign} benign requests = {false / benign * 1e5:.2f} per 100k\n")


def injection(n: int) -> None:
    scorer = default_scorer()
    print(f"{'split':<10} {'precision':>9} {'recall':>7} {'trap FPR':>8} {'benign FPR':>10}   (threshold {scorer.threshold:.3f})")
    for split in ("train", "heldout", "sealed"):
        c = injection_corpus.generate(split, n=n, seed=None if split != "train" else 99)
        s = scorer.score(c.texts) >= scorer.threshold
        y, trap = np.array(c.labels) == 1, np.array(c.traps)
        tp = (s & y).sum()
        print(f"{split:<10} {tp / max(1, s.sum()):>9.3f} {tp / y.sum():>7.3f} {(s & trap).sum() / trap.sum():>8.3f} "
              f"{(s & ~y & ~trap).sum() / (~y & ~trap).sum():>10.3f}")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    injection(1000 if args.quick else 4000)
    campaigns(20_000 if args.quick else 50_000, [101, 202] if args.quick else [101, 202, 303, 404])

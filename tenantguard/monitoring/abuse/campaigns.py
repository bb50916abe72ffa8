"""Injection campaigns: near-duplicate adversarial payloads at volume, across sessions, keys and tenants.

Requests whose injection score reaches `candidate` (a fraction of the calibrated threshold, so a
campaign of borderline variants is still seen) are MinHashed over normalized character 5-shingles
of their payload segment (Broder 1997; datasketch MinHash + LSH) and joined by union-find. A
cluster is a campaign when it has >= `min_members` requests from >= 2 sessions or keys and its mean
score reaches the threshold. State is bounded: at most `max_candidates` payloads, oldest evicted; the
union-find map is rebuilt over the survivors once evicted ids make up half of it (amortized O(1)).

A campaign's identity is its content, not its first member (which changes as old members are evicted
or fall outside a scan's lookback): the `SIGNATURE` smallest shingle hashes shared by >= 80% of its
members. Two campaigns not joined by LSH (Jaccard < 0.5) share a signature with probability < J**6.
"""
from __future__ import annotations

import zlib
from collections import Counter, deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from tenantguard.evaluations.masking import mask
from tenantguard.evaluations.textnorm import normalize
from tenantguard.monitoring.abuse.alerts import Alert, listed
from tenantguard.monitoring.abuse.detector import DetectorBase, ScanContext
from tenantguard.monitoring.abuse.request import Request

NUM_PERM = 64
SKETCH = 24  # smallest shingle hashes kept per member, enough to find the campaign's shared core
SIGNATURE = 6
CORE_SHARE = 0.8


@dataclass(frozen=True)
class CampaignConfig:
    min_members: int = 5
    jaccard: float = 0.5
    candidate_ratio: float = 1.0
    max_candidates: int = 50_000


class CampaignDetector(DetectorBase):
    kind = "injection_campaign"
    default_actions: ClassVar[Mapping[str, str]] = {"injection_campaign": "alert"}

    @classmethod
    def for_scan(cls, context: ScanContext) -> CampaignDetector:
        return cls(context.injection_threshold)

    def __init__(self, threshold: float, config: CampaignConfig = CampaignConfig()) -> None:
        from datasketch import MinHashLSH

        self.threshold = threshold
        self.config = config
        self.lsh = MinHashLSH(threshold=config.jaccard, num_perm=NUM_PERM)
        self.members: dict[int, Request] = {}
        self.order: deque[int] = deque()
        self.parent: dict[int, int] = {}
        self.sketch: dict[int, tuple[int, ...]] = {}

    def update(self, reqs: list[Request]) -> None:
        from datasketch import MinHash

        cut = self.threshold * self.config.candidate_ratio
        for r in reqs:
            if r.injection < cut or r.id in self.members:
                continue
            shingles = _shingles(r.text if r.text else normalize(r.payload or r.prompt))
            mh = MinHash(num_perm=NUM_PERM, seed=1)
            mh.update_batch(shingles)
            self.sketch[r.id] = tuple(sorted({zlib.crc32(x) for x in shingles})[:SKETCH])
            self.parent[r.id] = r.id
            for other in self.lsh.query(mh):
                self._union(r.id, other)
            self.lsh.insert(r.id, mh)
            self.members[r.id] = r
            self.order.append(r.id)
            while len(self.order) > self.config.max_candidates:
                old = self.order.popleft()
                self.lsh.remove(old)
                del self.members[old]  # parent links through it stay valid until the next rebuild
                del self.sketch[old]
            if len(self.parent) > 2 * max(len(self.members), 1_000):
                self._rebuild()

    def alerts(self) -> list[Alert]:
        clusters: dict[int, list[Request]] = {}
        for rid, r in self.members.items():
            clusters.setdefault(self._find(rid), []).append(r)
        out: list[Alert] = []
        for members in clusters.values():
            if len(members) < self.config.min_members:
                continue
            if len({m.session_id for m in members}) < 2 and len({m.api_key for m in members}) < 2:
                continue
            score = float(np.mean([m.injection for m in members]))
            if score < self.threshold:
                continue
            out.extend(_per_tenant(members, score, self.threshold, self._signature(members)))
        return out

    def _rebuild(self) -> None:
        """Drop evicted ids from the union-find map; survivors keep their clusters (rooted at the oldest)."""
        roots: dict[int, int] = {}
        for rid in self.members:
            root = self._find(rid)
            roots[root] = min(roots.get(root, rid), rid)
        self.parent = {rid: roots[self._find(rid)] for rid in self.members}

    def _find(self, x: int) -> int:
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def _signature(self, members: list[Request]) -> str:
        counts = Counter(h for m in members for h in self.sketch[m.id])
        need = CORE_SHARE * len(members)
        core = sorted(h for h, n in counts.items() if n >= need)
        if not core:  # a chain of variants with no common core: the most shared hashes
            top = max(counts.values())
            core = sorted(h for h, n in counts.items() if n == top)
        return "-".join(f"{h:08x}" for h in core[:SIGNATURE])

    def _union(self, a: int, b: int) -> None:
        ra, rb = self._find(a), self._find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _per_tenant(members: list[Request], score: float, threshold: float, signature: str) -> list[Alert]:
    members = sorted(members, key=lambda m: m.id)
    by_tenant: dict[str, list[Request]] = {}
    for m in members:
        by_tenant.setdefault(m.tenant_id, []).append(m)
    group = f"campaign:{signature}"
    alerts = []
    for tenant, own in by_tenant.items():
        keys = Counter(m.api_key for m in own)
        sessions = {m.session_id for m in own}
        others = {t: len(v) for t, v in by_tenant.items() if t != tenant}  # counts only, never their keys or text
        named = listed(keys)
        summary = (f"{len(own)} near-duplicate injection payloads from {len(keys)} key(s) "
                   f"({', '.join(named[:5])}{', ...' if len(named) > 5 else ''}) and {len(sessions)} session(s) in "
                   f"this tenant; campaign spans {len(by_tenant)} tenant(s), {len(members)} requests")
        alerts.append(Alert(
            kind=CampaignDetector.kind, tenant_id=tenant, api_key=keys.most_common(1)[0][0] if len(keys) == 1 else None,
            first_id=own[0].id, last_id=own[-1].id, score=score, threshold=threshold, summary=summary, group=group,
            member_ids=tuple(m.id for m in own[:200]), evidence=tuple(mask(m.payload) for m in own[:3]),
            stats={"members": len(own), "keys": len(keys), "sessions": len(sessions), "campaign_members": len(members),
                   "other_tenants": others, "signature": signature}, feature=own[0].feature,
            api_keys=named, session_ids=listed(sessions)))
    return alerts


def _shingles(t: str, k: int = 5) -> list[bytes]:
    """Character k-shingles of the last 600 characters of already-normalized text."""
    t = t[-600:]
    if len(t) <= k:
        return [t.encode()]
    return [t[i:i + k].encode() for i in range(len(t) - k + 1)]

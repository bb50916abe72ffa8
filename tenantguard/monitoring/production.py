"""Production deviation and cross-tenant leak detection over the inference log (pure).

Per (tenant, feature, model version) stream: the first `window_rows` completions served by a champion
are its production reference; every following tumbling window of the same size is compared with it
(mean length ratio, refusal-rate change, repetition rise, and a KS test on lengths as evidence). The
probe-suite baseline cannot serve here: production prompts are not the probe mix. Every completion is
also scanned with the fingerprint index of all tenants' data; a hit from another tenant is a leak.
State is bounded (2 x window_rows numbers per stream) and JSON-serializable, so the sensor can persist it.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Iterable

import numpy as np

from tenantguard.evaluations.descriptors import is_refusal, length_tokens, repetition

DESCRIPTORS = ("length", "refusal", "repetition")
MAX_VERSIONS = 3  # model versions tracked per (tenant, feature)


@dataclass(frozen=True)
class ProductionRules:
    window_rows: int = 200
    length_ratio_min: float = 0.5
    length_ratio_max: float = 2.0
    max_refusal_change: float = 0.25
    max_repetition_rise: float = 0.25
    ks_alpha: float = 1e-3


@dataclass(frozen=True)
class ProductionFinding:
    kind: str  # 'deviation' | 'cross_tenant_leak'
    tenant_id: str
    feature: str
    model_version: str
    first_id: int
    last_id: int
    reason: str
    metrics: dict = field(default_factory=dict)
    evidence: tuple[str, ...] = ()  # masked excerpts and source tenant ids only

    def to_dict(self) -> dict:
        return asdict(self)


def describe_completion(text: str | None) -> dict[str, float]:
    t = text if isinstance(text, str) else ""
    rep = repetition(t, 3)
    return {"length": float(length_tokens(t)), "refusal": float(is_refusal(t)),
            "repetition": 0.0 if math.isnan(rep) else rep}


class ProductionMonitor:
    """Feed inference-log rows in id order with `observe`; findings come back as they are detected."""

    def __init__(self, rules: ProductionRules = ProductionRules(), *, scanner=None, state: dict | None = None):
        self.rules, self.scanner = rules, scanner
        self.state = state or {"last_id": 0, "streams": {}}

    @property
    def last_id(self) -> int:
        return int(self.state["last_id"])

    def observe(self, rows: Iterable[dict]) -> list[ProductionFinding]:
        findings: list[ProductionFinding] = []
        rows = [r for r in rows if int(r["id"]) > self.last_id]  # the rest is folded in already (at-least-once)
        hits = self._scan_batch(rows)
        for row, row_hits in zip(rows, hits):
            rid = int(row["id"])
            if rid <= self.last_id:
                continue  # a duplicate within the batch
            self.state["last_id"] = rid
            tenant, feature = row.get("tenant_id") or "", row.get("feature") or ""
            version = str(row.get("model_version") or "")
            completion = row.get("completion") if isinstance(row.get("completion"), str) else ""
            leak = self._leak(rid, tenant, feature, version, row_hits)
            if leak:
                findings.append(leak)
            if row.get("completion") is None:
                continue  # no content captured: nothing to describe (an empty text would read as a deviation)
            finding = self._fold(rid, tenant, feature, version, describe_completion(completion))
            if finding:
                findings.append(finding)
        return findings

    def _scan_batch(self, rows: list[dict]) -> list[list]:
        """Fingerprint hits of every row's completion: one scan_many per serving tenant, not one scan per row
        (7x the rows/s; a 100k-row tick must finish inside the sensor timeout)."""
        out: list[list] = [[] for _ in rows]
        if self.scanner is None:
            return out
        by_tenant: dict[str, list[int]] = {}
        for i, row in enumerate(rows):
            if isinstance(row.get("completion"), str) and row["completion"]:
                by_tenant.setdefault(row.get("tenant_id") or "", []).append(i)
        for tenant, idx in by_tenant.items():
            found = self.scanner.scan_many([rows[i]["completion"] for i in idx], exclude_tenant=tenant,
                                           ignore_texts=[[rows[i].get("prompt") or ""] for i in idx])
            for i, hits in zip(idx, found):
                out[i] = [h for h in hits if h.source_tenant != tenant]
        return out

    def _leak(self, rid, tenant, feature, version, hits) -> ProductionFinding | None:
        if not hits:
            return None
        sources = sorted({h.source_tenant for h in hits})
        return ProductionFinding("cross_tenant_leak", tenant, feature, version, rid, rid,
                                 f"completion {rid} served to {tenant} contains data of {', '.join(sources)}",
                                 {"hits": float(len(hits))},
                                 tuple(f"{h.source_tenant}: {h.masked_excerpt}" for h in hits[:5]))

    def _fold(self, rid, tenant, feature, version, d: dict[str, float]) -> ProductionFinding | None:
        key = f"{tenant}|{feature}|{version}"
        streams = self.state["streams"]
        st = streams.get(key)
        if st is None:
            st = {"version": version, "ref": {k: [] for k in DESCRIPTORS}, "win": {k: [] for k in DESCRIPTORS},
                  "win_first": rid, "started": rid}
            streams[key] = st
            # Bounded state: keep the newest MAX_VERSIONS streams of a tenant's feature.
            mine = sorted((k for k in streams if k.startswith(f"{tenant}|{feature}|")), key=lambda k: streams[k]["started"])
            for old in mine[:-MAX_VERSIONS]:
                del streams[old]
        w = self.rules.window_rows
        target = "ref" if len(st["ref"]["length"]) < w else "win"
        if target == "win" and not st["win"]["length"]:
            st["win_first"] = rid
        for k in DESCRIPTORS:
            st[target][k].append(d[k])
        if target == "ref" or len(st["win"]["length"]) < w:
            return None
        finding = self._compare(st, tenant, feature, version, rid)
        st["win"] = {k: [] for k in DESCRIPTORS}  # tumbling windows
        return finding

    def _compare(self, st, tenant, feature, version, rid) -> ProductionFinding | None:
        from scipy.stats import ks_2samp

        r, ref, win = self.rules, st["ref"], st["win"]
        ref_len, win_len = float(np.mean(ref["length"])), float(np.mean(win["length"]))
        ratio = win_len / ref_len if ref_len > 0 else (math.inf if win_len > 0 else 1.0)
        refusal_change = float(np.mean(win["refusal"]) - np.mean(ref["refusal"]))
        repetition_rise = float(np.mean(win["repetition"]) - np.mean(ref["repetition"]))
        ks_p = float(ks_2samp(ref["length"], win["length"]).pvalue)
        failures = []
        if not r.length_ratio_min <= ratio <= r.length_ratio_max:
            failures.append(f"mean length ratio {ratio:.2f} outside [{r.length_ratio_min}, {r.length_ratio_max}]")
        if abs(refusal_change) > r.max_refusal_change:
            failures.append(f"refusal rate changed by {refusal_change:+.2f} (limit ±{r.max_refusal_change})")
        if repetition_rise > r.max_repetition_rise:
            failures.append(f"repetition rose by {repetition_rise:+.2f} (limit {r.max_repetition_rise})")
        metrics = {"length_ratio": ratio, "refusal_change": refusal_change, "repetition_rise": repetition_rise,
                   "ks_pvalue_length": ks_p, "window_rows": float(len(win["length"]))}
        if not failures:
            return None
        reason = (f"production deviation of {tenant}/{feature} v{version} over rows {st['win_first']}-{rid}: "
                  + "; ".join(failures) + f" (KS p={ks_p:.2g} on lengths)")
        return ProductionFinding("deviation", tenant, feature, version, int(st["win_first"]), rid, reason, metrics)

"""Token-budget abuse (denial of wallet) per API key against a robust per-tenant baseline.

Baseline: median and MAD (scaled by 1.4826) of completion tokens over the tenant's last 5,000
requests; no seasonality assumed. A key is evaluated over its last 200 requests once it has 20:
- projected spend: tokens of the window x price / window duration (floored at 15 minutes so a
  burst is not extrapolated from seconds) x 86,400 s, against the daily budget;
- long-output forcing: robust z of the key's median completion length >= 6 while >= 30% of its
  prompts ask for repetition/expansion/unbounded output.
Score = max(projected / budget, z / 6 if forcing); alert at >= 1. The alert names the key, the
spend rate and the projected overrun. State: 5,000 numbers per tenant, 200 per key, LRU of keys.
"""
from __future__ import annotations

import re
from collections import OrderedDict, deque
from dataclasses import dataclass

import numpy as np

from tenantguard.evaluations.masking import mask
from tenantguard.evaluations.textnorm import normalize
from tenantguard.monitoring.alerts import Alert
from tenantguard.monitoring.request import Request

_FORCING = re.compile(
    r"\b(?:repeat\w*\b.{0,40}\b(?:forever|times|again and again|indefinitely|until)|"
    r"(?:at least|no fewer than|minimum of)\s+[\d,]{3,}\s+(?:words|tokens|lines|pages|paragraphs)|"
    r"(?:don'?t|do not|never)\s+stop|continue (?:forever|indefinitely|without stopping)|"
    r"as long as (?:possible|you can)|count from \d+ to [\d,]{4,}|expand (?:each|every|this)\b.{0,40}\b(?:detail|length)|"
    r"list (?:every|all) (?:possible|single))")
# Literals one of the _FORCING alternatives needs: most prompts contain none and skip the regex.
_FORCING_NEEDS = ("repeat", "at least", "no fewer than", "minimum of", "stop", "continue", "as long as", "count from",
                  "expand", "list ")
MIN_WINDOW_S = 900.0


@dataclass(frozen=True)
class BudgetConfig:
    daily_budget_usd: float = 50.0
    usd_per_1k_tokens: float = 0.002
    min_requests: int = 20
    z_threshold: float = 6.0
    forcing_share: float = 0.3
    max_keys: int = 20_000


class BudgetDetector:
    def __init__(self, config: BudgetConfig = BudgetConfig()) -> None:
        self.config = config
        self.tenants: dict[str, deque] = {}
        self.keys: OrderedDict[tuple, deque] = OrderedDict()
        self.found: dict[tuple, Alert] = {}

    def update(self, reqs: list[Request]) -> None:
        touched = set()
        for r in reqs:
            self.tenants.setdefault(r.tenant_id, deque(maxlen=5000)).append(r.completion_tokens)
            k = (r.tenant_id, r.api_key or r.session_id or "-")
            window = self.keys.get(k)
            if window is None:
                window = self.keys[k] = deque(maxlen=200)
                while len(self.keys) > self.config.max_keys:
                    self.keys.popitem(last=False)
            else:
                self.keys.move_to_end(k)
            forcing = _forcing(r.text if r.text else normalize(r.payload or r.prompt[-1000:]))
            window.append((r.id, r.ts, r.prompt_tokens + r.completion_tokens, r.completion_tokens, forcing, r))
            touched.add(k)
        baselines: dict[str, tuple[float, float]] = {}  # per tenant, once per batch
        for k in touched:
            window = self.keys.get(k)
            if window is None or len(window) < self.config.min_requests:
                continue
            if k[0] not in baselines:
                base = np.asarray(self.tenants[k[0]], dtype=float)
                med = float(np.median(base))
                baselines[k[0]] = (med, 1.4826 * float(np.median(np.abs(base - med))))
            alert = self._evaluate(k, window, *baselines[k[0]])
            if alert is not None:
                self.found[k] = alert

    def alerts(self) -> list[Alert]:
        return list(self.found.values())

    def _evaluate(self, k: tuple, window: deque, med: float, mad: float) -> Alert | None:
        c = self.config
        ids, ts, total, completion, forcing, reqs = zip(*window)
        z = (float(np.median(completion)) - med) / (mad + 1.0)
        share = float(np.mean(forcing))
        duration = max(MIN_WINDOW_S, max(ts) - min(ts))  # min/max: out-of-order timestamps cannot go negative
        rate = sum(total) / 1000 * c.usd_per_1k_tokens / duration * 3600
        projected = rate * 24
        forcing_score = z / c.z_threshold if share >= c.forcing_share else 0.0
        score = max(projected / c.daily_budget_usd, forcing_score)
        if score < 1.0:
            return None
        last = reqs[-1]
        summary = (f"key {last.api_key or '-'} spends ${rate:.2f}/h, projected ${projected:.2f}/day against a "
                   f"${c.daily_budget_usd:.2f} budget (overrun ${max(0.0, projected - c.daily_budget_usd):.2f}); "
                   f"median completion {np.median(completion):.0f} tokens vs tenant median {med:.0f} (z={z:.1f}), "
                   f"{share:.0%} long-output prompts")
        forcing_reqs = [r for r, f in zip(reqs, forcing) if f] or list(reqs)
        return Alert(kind="token_budget", tenant_id=k[0], api_key=last.api_key, first_id=min(ids), last_id=max(ids),
                     score=float(score), threshold=1.0, summary=summary, group=f"budget:{k[1]}",
                     member_ids=tuple(sorted(ids)), evidence=tuple(mask(r.payload or r.prompt) for r in forcing_reqs[:3]),
                     stats={"usd_per_hour": rate, "projected_usd_per_day": projected,
                            "budget_usd_per_day": c.daily_budget_usd,
                            "projected_overrun_usd": max(0.0, projected - c.daily_budget_usd), "robust_z": z,
                            "forcing_share": share, "requests": len(window)}, feature=last.feature)


def _forcing(text: str) -> bool:
    return any(w in text for w in _FORCING_NEEDS) and bool(_FORCING.search(text))

"""Token-budget abuse (denial of wallet) per API key against a robust per-tenant baseline.

Baseline: median and MAD (scaled by 1.4826) of completion tokens over the tenant's last 5,000
requests; no seasonality assumed. A key is evaluated over its last 200 requests once it has 20:
- projected spend: tokens of the window x price / window duration (floored at 15 minutes so a
  burst is not extrapolated from seconds) x 86,400 s, against the daily budget;
- long-output forcing: robust z of the key's median completion length >= 6 while >= 30% of its
  prompts ask for repetition/expansion/unbounded output (English phrasing), or >= half of its requests
  run into their own max_tokens cap (>= 90% of it, at least CAPPED_MIN tokens): the language-independent
  trace of a prompt that forces the longest output the key may ask for.
Score = max(projected / budget, z / 6 if forcing); alert at >= 1. The alert names the key, the
spend rate and the projected overrun. State: 5,000 numbers per tenant; per key 200 small tuples, running
sums and the last 3 prompts (~20 KB), at most `max_keys` keys (LRU): bounded over days of traffic.
"""
from __future__ import annotations

import re
from collections import OrderedDict, deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from tenantguard.evaluations.masking import MASKED_RE, mask
from tenantguard.evaluations.textnorm import normalize
from tenantguard.monitoring.abuse.alerts import MAX_LISTED, Alert, listed
from tenantguard.monitoring.abuse.detector import DetectorBase, ScanContext
from tenantguard.monitoring.abuse.request import Request

_FORCING = re.compile(
    r"\b(?:repeat\w*\b.{0,40}\b(?:forever|times|again and again|indefinitely|until)|"
    r"(?:at least|no fewer than|minimum of)\s+[\d,]{3,}\s+(?:words|tokens|lines|pages|paragraphs)|"
    r"(?:don'?t|do not|never)\s+stop|continue (?:forever|indefinitely|without stopping)|"
    r"as long as (?:possible|you can)|count from \d+ to [\d,]{4,}|expand (?:each|every|this)\b.{0,40}\b(?:detail|length)|"
    r"list (?:every|all) (?:possible|single))")
# Literals one of the _FORCING alternatives needs: most prompts contain none and skip the regex.
_FORCING_NEEDS = ("repeat", "at least", "no fewer than", "minimum of", "stop", "continue", "as long as", "count from",
                  "expand", "list ")
_FORCING_ANY = re.compile("|".join(map(re.escape, _FORCING_NEEDS)))
MIN_WINDOW_S = 900.0
CAPPED_MIN = 256  # a classifier capped at max_tokens=1 is not forcing long output
WINDOW = 200
_MASKED = MASKED_RE


@dataclass(frozen=True)
class BudgetConfig:
    daily_budget_usd: float = 50.0
    usd_per_1k_tokens: float = 0.002
    min_requests: int = 20
    z_threshold: float = 6.0
    forcing_share: float = 0.3
    capped_share: float = 0.5
    max_keys: int = 20_000


class _Key:
    """One key's window: (id, ts, total tokens, completion tokens, masked prompt if it forces long output),
    the running sums the fast path needs, and the last few prompts for evidence. No Request is kept."""

    __slots__ = ("window", "total", "forcing", "capped", "recent", "api_key", "feature", "sessions")

    def __init__(self) -> None:
        self.window: deque = deque(maxlen=WINDOW)
        self.total = 0
        self.forcing = 0
        self.capped = 0
        self.recent: deque = deque(maxlen=3)
        self.api_key: str | None = None
        self.feature: str | None = None
        self.sessions: set = set()  # bounded to MAX_LISTED

    def add(self, r: Request, forcing: bool) -> None:
        if len(self.window) == WINDOW:
            old = self.window[0]
            self.total -= old[2]
            self.forcing -= old[4] is not None
            self.capped -= old[5]
        capped = bool(r.max_tokens) and r.completion_tokens >= max(CAPPED_MIN, 0.9 * r.max_tokens)
        entry = (r.id, r.ts, r.prompt_tokens + r.completion_tokens, r.completion_tokens,
                 mask(r.payload or r.prompt) if forcing else None, capped)
        self.window.append(entry)
        self.total += entry[2]
        self.forcing += forcing
        self.capped += capped
        text = r.payload or r.prompt
        self.recent.append(mask(text) if len(text) > 2_000 else text)  # bounded: a huge prompt is masked now
        self.api_key, self.feature = r.api_key, r.feature
        if r.session_id and len(self.sessions) < MAX_LISTED:
            self.sessions.add(r.session_id)


class BudgetDetector(DetectorBase):
    kind = "token_budget"
    default_actions: ClassVar[Mapping[str, str]] = {"token_budget": "block_key"}
    needs_text = False  # spend is token counts; only the long-output-forcing signal reads the prompt

    @classmethod
    def for_scan(cls, context: ScanContext) -> BudgetDetector:
        return cls(BudgetConfig(daily_budget_usd=context.daily_budget_usd, usd_per_1k_tokens=context.usd_per_1k_tokens))

    def __init__(self, config: BudgetConfig = BudgetConfig()) -> None:
        self.config = config
        self.tenants: dict[str, deque] = {}
        self.keys: OrderedDict[tuple, _Key] = OrderedDict()
        self.found: dict[tuple, Alert] = {}

    def update(self, reqs: list[Request]) -> None:
        touched = set()
        for r in reqs:
            self.tenants.setdefault(r.tenant_id, deque(maxlen=5000)).append(r.completion_tokens)
            k = (r.tenant_id, r.api_key or r.session_id or "-")
            state = self.keys.get(k)
            if state is None:
                state = self.keys[k] = _Key()
                while len(self.keys) > self.config.max_keys:
                    self.keys.popitem(last=False)
            else:
                self.keys.move_to_end(k)
            state.add(r, _forcing(r.text if r.text else normalize(r.payload or r.prompt[-1000:])))
            touched.add(k)
        c = self.config
        # Fast path: the highest spend a window can project (its tokens over the shortest duration) is
        # under budget and too few prompts force long output: nothing to compute.
        cap = c.daily_budget_usd * 1000 / c.usd_per_1k_tokens * MIN_WINDOW_S / 86_400
        baselines: dict[str, tuple[float, float]] = {}  # per tenant, once per batch
        for k in touched:
            state = self.keys.get(k)
            if state is None or len(state.window) < c.min_requests:
                continue
            if (state.total < cap and state.forcing < c.forcing_share * len(state.window)
                    and state.capped < c.capped_share * len(state.window)):
                continue
            if k[0] not in baselines:
                base = np.asarray(self.tenants[k[0]], dtype=float)
                med = float(np.median(base))
                baselines[k[0]] = (med, 1.4826 * float(np.median(np.abs(base - med))))
            alert = self._evaluate(k, state, *baselines[k[0]])
            if alert is not None:
                self.found[k] = alert

    def alerts(self) -> list[Alert]:
        return list(self.found.values())

    def _evaluate(self, k: tuple, state: _Key, med: float, mad: float) -> Alert | None:
        c = self.config
        ids, ts, total, completion, masks, _ = zip(*state.window)
        z = (float(np.median(completion)) - med) / (mad + 1.0)
        share = state.forcing / len(ids)
        capped = state.capped / len(ids)
        duration = max(MIN_WINDOW_S, max(ts) - min(ts))  # min/max: out-of-order timestamps cannot go negative
        rate = sum(total) / 1000 * c.usd_per_1k_tokens / duration * 3600
        projected = rate * 24
        forcing_score = z / c.z_threshold if share >= c.forcing_share or capped >= c.capped_share else 0.0
        score = max(projected / c.daily_budget_usd, forcing_score)
        if score < 1.0:
            return None
        summary = (f"key {state.api_key or '-'} spends ${rate:.2f}/h, projected ${projected:.2f}/day against a "
                   f"${c.daily_budget_usd:.2f} budget (overrun ${max(0.0, projected - c.daily_budget_usd):.2f}); "
                   f"median completion {np.median(completion):.0f} tokens vs tenant median {med:.0f} (z={z:.1f}), "
                   f"{share:.0%} long-output prompts, {capped:.0%} of requests run into their max_tokens cap")
        evidence = [m for m in masks if m is not None][:3] or [_masked(t) for t in state.recent]
        return Alert(kind=self.kind, tenant_id=k[0], api_key=state.api_key, first_id=min(ids), last_id=max(ids),
                     score=float(score), threshold=1.0, summary=summary, group=f"budget:{k[1]}",
                     member_ids=tuple(sorted(ids)), evidence=tuple(evidence),
                     stats={"usd_per_hour": rate, "projected_usd_per_day": projected,
                            "budget_usd_per_day": c.daily_budget_usd,
                            "projected_overrun_usd": max(0.0, projected - c.daily_budget_usd), "robust_z": z,
                            "forcing_share": share, "capped_share": capped, "requests": len(ids)}, feature=state.feature,
                     session_ids=listed(state.sessions))


def _masked(text: str) -> str:
    return text if _MASKED.fullmatch(text) else mask(text)


def _forcing(text: str) -> bool:
    return bool(_FORCING_ANY.search(text)) and bool(_FORCING.search(text))

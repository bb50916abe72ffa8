"""Model extraction per API key: PRADA (Juuti et al. 2019, "PRADA: Protecting Against DNN Model
Stealing Attacks", EuroS&P) plus three signals PRADA lacks for text APIs.

Signals, evaluated once a key has >= `min_queries` queries (re-evaluated every `every` queries):
- prada: the minimum cosine distance of each new query (word 1-2-grams hashed to 256 signed dims) to
  the key's last 64 queries; Shapiro-Wilk W over the last <= 300 distances below `delta`. Natural queries give a roughly
  normal spread; synthetic probes (perturbations of one seed, slot fills) do not.
- params: >= half the queries ask for `logprobs`/`top_logprobs`/`logit_bias`/`echo`, which only
  distillation and logit-recovery attacks need.
- templated: >= 60% of the queries share one skeleton (first four words, digits folded, length
  in buckets of four words) while >= 90% of them are distinct: slot-filling over one template.
- coverage: the key keeps adding new vocabulary at >= `coverage_rate` new words per query over its
  last 100 queries (a sweep of the input space; natural use saturates).
Score = prada + params + templated + 0.5 * coverage; alert at >= 2. Benign heavy users: natural
distances (W high), no extraction parameters, no single skeleton -> score <= 0.5. Legitimate batch
jobs: templated (one skeleton over the tenant's own documents) but their fills are whole documents,
so min-distances stay spread (W high) and no logit parameters -> score <= 1.5. Key rotation: queries
that ask for extraction parameters are also tracked per (tenant, skeleton), across keys.
Per-key state is bounded (last `keep` vectors, 300 distances, <= 20k vocabulary hashes) and at most
`max_actors` actors are kept, least recently seen evicted.
"""
from __future__ import annotations

import re
import warnings
from collections import Counter, OrderedDict, deque
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from tenantguard.evaluations.masking import mask
from tenantguard.evaluations.textnorm import words
from tenantguard.monitoring.alerts import Alert
from tenantguard.monitoring.request import Request

_DIGITS = re.compile(r"\d+")
DIM = 256  # signed feature hashing of word 1-2-grams: 1 KB per remembered query


@dataclass(frozen=True)
class ExtractionConfig:
    min_queries: int = 100
    every: int = 50
    delta: float = 0.90
    coverage_rate: float = 0.5
    keep: int = 64
    max_actors: int = 2_000
    threshold: float = 2.0


@dataclass
class _Actor:
    tenant_id: str
    api_key: str | None
    feature: str | None
    buf: np.ndarray = field(default_factory=lambda: np.zeros((0, DIM), np.float32))
    distances: deque = field(default_factory=lambda: deque(maxlen=300))
    skeletons: deque = field(default_factory=lambda: deque(maxlen=200))
    texts: deque = field(default_factory=lambda: deque(maxlen=200))
    new_words: deque = field(default_factory=lambda: deque(maxlen=100))
    vocab: set = field(default_factory=set)
    params: deque = field(default_factory=lambda: deque(maxlen=300))
    ids: deque = field(default_factory=lambda: deque(maxlen=300))
    n: int = 0
    last_eval: int = 0


class ExtractionDetector:
    def __init__(self, config: ExtractionConfig = ExtractionConfig()) -> None:
        from sklearn.feature_extraction.text import HashingVectorizer

        self.config = config
        self.vec = HashingVectorizer(analyzer="word", ngram_range=(1, 2), n_features=DIM, alternate_sign=True,
                                     norm="l2", token_pattern=r"(?u)\b\w+\b")
        self.actors: OrderedDict[str, _Actor] = OrderedDict()
        self.found: dict[str, Alert] = {}

    def update(self, reqs: list[Request]) -> None:
        if not reqs:
            return
        texts = [r.payload or r.prompt[-500:] for r in reqs]
        x = self.vec.transform(texts).toarray().astype(np.float32)
        touched: dict[str, _Actor] = {}
        for i, r in enumerate(reqs):
            ws = words(texts[i])
            skel = _skeleton(ws)
            names = [f"key:{r.tenant_id}:{r.api_key or r.session_id or '-'}"]
            if r.extraction_params:
                names.append(f"skel:{r.tenant_id}:{skel}")
            for name in names:
                a = self._actor(name, r)
                self._add(a, x[i], ws, skel, texts[i], r)
                touched[name] = a
        for name, a in touched.items():
            if a.n >= self.config.min_queries and a.n - a.last_eval >= self.config.every:
                a.last_eval = a.n
                alert = self._evaluate(name, a)
                if alert is not None:
                    self.found[name] = alert

    def alerts(self) -> list[Alert]:
        return list(self.found.values())

    def _actor(self, name: str, r: Request) -> _Actor:
        a = self.actors.get(name)
        if a is None:
            a = self.actors[name] = _Actor(r.tenant_id, r.api_key if name.startswith("key:") else None, r.feature)
            a.buf = np.zeros((self.config.keep, DIM), np.float32)
            while len(self.actors) > self.config.max_actors:
                self.actors.popitem(last=False)
        else:
            self.actors.move_to_end(name)
        return a

    def _add(self, a: _Actor, v: np.ndarray, ws: list[str], skel: str, text: str, r: Request) -> None:
        if a.n:
            m = min(a.n, self.config.keep)
            a.distances.append(float(1.0 - (a.buf[:m] @ v).max()))
        a.buf[a.n % self.config.keep] = v
        fresh = {hash(w) for w in ws} - a.vocab
        a.new_words.append(len(fresh))
        if len(a.vocab) < 20_000:
            a.vocab |= fresh
        a.skeletons.append(skel)
        a.texts.append(text)
        a.params.append(r.extraction_params)
        a.ids.append(r.id)
        a.n += 1

    def _evaluate(self, name: str, a: _Actor) -> Alert | None:
        c = self.config
        d = np.asarray(a.distances)
        if d.std() < 1e-9:
            w = 0.0  # identical distances: mechanical queries, the least normal spread there is
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                w = float(stats.shapiro(d).statistic)
        top_share = Counter(a.skeletons).most_common(1)[0][1] / len(a.skeletons)
        distinct = len(set(a.texts)) / len(a.texts)
        params_share = float(np.mean(a.params))
        coverage = float(np.mean(a.new_words))
        signals = {"prada": w < c.delta, "params": params_share >= 0.5,
                   "templated": top_share >= 0.6 and distinct >= 0.9, "coverage": coverage >= c.coverage_rate}
        score = signals["prada"] + signals["params"] + signals["templated"] + 0.5 * signals["coverage"]
        if score < c.threshold:
            return None
        on = [k for k, v in signals.items() if v]
        who = f"key {a.api_key}" if a.api_key else "rotating keys sharing one template"
        summary = (f"{who}: {a.n} queries, PRADA W={w:.3f} (delta {c.delta}), extraction params {params_share:.0%}, "
                   f"top template {top_share:.0%}, {coverage:.2f} new words/query; signals {','.join(on)}")
        return Alert(kind="model_extraction", tenant_id=a.tenant_id, api_key=a.api_key, first_id=a.ids[0],
                     last_id=a.ids[-1], score=float(score), threshold=c.threshold, summary=summary, group=name,
                     member_ids=tuple(list(a.ids)[-200:]), evidence=tuple(mask(t) for t in list(a.texts)[-3:]),
                     stats={"queries": a.n, "shapiro_w": w, "params_share": params_share, "template_share": top_share,
                            "distinct_share": distinct, "new_words_per_query": coverage, "signals": on},
                     feature=a.feature)


def _skeleton(ws: list[str]) -> str:
    ws = [_DIGITS.sub("#", w) for w in ws]
    return f"{' '.join(ws[:4])} …{len(ws) // 4}"

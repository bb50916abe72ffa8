"""Model extraction per API key: PRADA (Juuti et al. 2019, "PRADA: Protecting Against DNN Model
Stealing Attacks", EuroS&P) plus three signals PRADA lacks for text APIs.

Signals, evaluated once a key has >= `min_queries` queries (re-evaluated every `every` queries):
- prada: the minimum cosine distance of each new query (word 1-2-grams hashed to 256 signed dims) to
  the key's last 64 queries; Shapiro-Wilk W over the last <= 300 distances below `delta`, identical resends
  (retries) left out. Natural queries give a roughly normal spread; synthetic probes do not.
- params: >= half the queries expose the output distribution: a logit_bias map, echo, or logprobs over
  >= 5 alternatives (`request.TOP_LOGPROBS`); a classifier reading one or two is not counted.
- bias_grid: >= 30% of the queries carry a logit_bias map and >= `bias_grid` distinct maps: a logit-recovery
  sweep (Carlini et al. 2024). Worth 2: decisive alone.
- perturbation: >= 40% of the queries re-send an earlier one of the same length with at most a third of
  the words replaced in place, and those edits touch >= half the word positions. A sweep edits its seeds
  anywhere; a templated job only fills its slots. Worth 2: decisive alone.
- templated: >= 60% of the queries share one skeleton while >= 90% are distinct (0.5: honest batch jobs
  look like this too, so it never decides alone).
- coverage: >= `coverage_rate` new words per query over the last 100 queries (0.5).
Score = the weighted sum (WEIGHTS); alert at >= 2. Key rotation: queries with extraction parameters are
also tracked per (tenant, skeleton) across keys, and that alert lists every key.
Per-key state is bounded (last `keep` vectors, 300 distances, <= 20k vocabulary hashes) and at most
`max_actors` actors are kept, least recently seen evicted.
"""
from __future__ import annotations

import re
import warnings
from collections import Counter, OrderedDict, deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import chain
from typing import ClassVar

import numpy as np
from scipy import stats
from sklearn.utils import murmurhash3_32

from tenantguard.evaluations.masking import mask
from tenantguard.evaluations.textnorm import words
from tenantguard.monitoring.abuse.alerts import MAX_LISTED, Alert, listed
from tenantguard.monitoring.abuse.detector import DetectorBase
from tenantguard.monitoring.abuse.request import Request

_DIGITS = re.compile(r"\d+")
_WORD = re.compile(r"\w+")
DIM = 256  # signed feature hashing of word 1-2-grams: 1 KB per remembered query
TOKEN_CACHE = 200_000  # distinct words whose hash is remembered (~20 MB), cleared when full
_K1, _K2 = np.uint64(0x9E3779B97F4A7C15), np.uint64(0xBF58476D1CE4E5B9)  # 64-bit odd mixing constants


@dataclass(frozen=True)
class ExtractionConfig:
    min_queries: int = 100
    every: int = 50
    delta: float = 0.90
    coverage_rate: float = 0.5
    keep: int = 64
    max_actors: int = 2_000
    threshold: float = 2.0
    bias_grid: int = 30  # distinct logit_bias maps that make a sweep (an honest client pins one or two)


# A logit_bias sweep alone is decisive (logit recovery: Carlini et al. 2024, "Stealing Part of a Production
# Language Model"), and so is a perturbation sweep that edits its seeds anywhere (the synthetic queries PRADA
# targets); a template alone is what honest batch jobs look like, so it only ever adds half a point.
WEIGHTS = {"prada": 1.0, "params": 1.0, "bias_grid": 2.0, "perturbation": 2.0, "coverage": 0.5, "templated": 0.5}


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
    biases: deque = field(default_factory=lambda: deque(maxlen=300))  # the logit_bias map of each query, as a string
    edits: deque = field(default_factory=lambda: deque(maxlen=200))  # per query: (length, positions edited) or None
    by_length: dict = field(default_factory=dict)  # length -> the latest LOOK_BACK (query number, words) of it
    edited: int = 0  # queries whose edit is computed (lazily, when the actor is evaluated)
    keys: set = field(default_factory=set)  # bounded to MAX_LISTED
    sessions: set = field(default_factory=set)
    n: int = 0
    last_eval: int = 0


class ExtractionDetector(DetectorBase):
    kind = "model_extraction"
    default_actions: ClassVar[Mapping[str, str]] = {"model_extraction": "block_key"}

    def __init__(self, config: ExtractionConfig = ExtractionConfig()) -> None:
        self.config = config
        self.actors: OrderedDict[str, _Actor] = OrderedDict()
        self.found: dict[str, Alert] = {}
        self._codes: dict[str, int] = {}  # word -> its 32-bit murmur3 hash

    def update(self, reqs: list[Request]) -> None:
        if not reqs:
            return
        wss = [_WORD.findall(r.text[-500:]) if r.text else words(r.payload or r.prompt[-500:]) for r in reqs]
        x = self._vectors(wss)
        groups: dict[str, list[int]] = {}
        skels = []
        for i, r in enumerate(reqs):
            skels.append(_skeleton(wss[i]))
            groups.setdefault(f"key:{r.tenant_id}:{r.api_key or r.session_id or '-'}", []).append(i)
            if r.extraction_params:
                groups.setdefault(f"skel:{r.tenant_id}:{skels[i]}", []).append(i)
        for name, idx in groups.items():
            a = self._actor(name, reqs[idx[0]])
            self._add(a, x[idx], [wss[i] for i in idx], [skels[i] for i in idx], [reqs[i] for i in idx])
            if a.n >= self.config.min_queries and a.n - a.last_eval >= self.config.every:
                a.last_eval = a.n
                alert = self._evaluate(name, a)
                if alert is not None:
                    self.found[name] = alert

    def _vectors(self, wss: list[list[str]]) -> np.ndarray:
        """L2-normalized signed hashed counts of word 1- and 2-grams. Each distinct word is hashed once
        (murmur3, remembered in a bounded map); a bigram's hash mixes its two words' hashes in numpy, so
        no bigram string is ever built."""
        codes = self._codes
        flat = list(chain.from_iterable(wss))
        missing = set(flat).difference(codes)
        if len(codes) + len(missing) > TOKEN_CACHE:
            codes.clear()
            missing = set(flat)
        codes.update((w, murmurhash3_32(w, seed=0, positive=True)) for w in missing)
        lens = np.fromiter(map(len, wss), np.int64, len(wss))
        h = np.fromiter(map(codes.__getitem__, flat), np.uint64, len(flat))
        doc = np.repeat(np.arange(len(wss)), lens)
        same = doc[1:] == doc[:-1]  # bigrams never span two requests
        bi = ((h[:-1][same] * _K1) ^ h[1:][same]) * _K2 >> np.uint64(32)
        hashes = np.concatenate([h, bi])
        owner = np.concatenate([doc, doc[1:][same]])
        sign = np.where(hashes & np.uint64(1 << 31), -1.0, 1.0)
        x = np.bincount(owner * DIM + (hashes % np.uint64(DIM)).astype(np.int64), weights=sign,
                        minlength=len(wss) * DIM).reshape(len(wss), DIM)
        norms = np.sqrt(np.einsum("ij,ij->i", x, x))[:, None]
        return (x / np.where(norms > 0, norms, 1.0)).astype(np.float32)

    def alerts(self) -> list[Alert]:
        """Key findings, plus template (rotated-key) findings that key findings do not already cover."""
        found = list(self.found.values())
        keyed = {i for a in found if a.group.startswith("key:") for i in a.member_ids}
        return [a for a in found if a.group.startswith("key:")
                or sum(i in keyed for i in a.member_ids) < 0.9 * len(a.member_ids)]

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

    def _add(self, a: _Actor, v: np.ndarray, wss: list[list[str]], skels: list[str], reqs: list[Request]) -> None:
        """Append k queries: each one's min distance to the `keep` queries before it (the ring buffer,
        then the earlier ones of this batch), computed as one masked product per chunk."""
        keep = self.config.keep
        for lo in range(0, len(v), 256):
            chunk = v[lo:lo + 256]
            k, m = len(chunk), min(a.n, keep)
            prev = a.buf[(a.n - m + np.arange(m)) % keep]  # chronological
            sims = chunk @ np.vstack([prev, chunk]).T  # k x (m + k)
            pos = m + np.arange(k)[:, None]
            cols = np.arange(m + k)[None, :]
            sims[(cols >= pos) | (cols < pos - keep)] = -np.inf
            best = sims.max(axis=1)
            a.distances.extend((1.0 - best[0 if a.n else 1:]).tolist())
            a.buf[(a.n + np.arange(k)[-keep:]) % keep] = chunk[-keep:]
            a.n += k
        for ws, skel, r in zip(wss, skels, reqs):
            fresh = set(map(hash, ws)) - a.vocab
            a.new_words.append(len(fresh))
            if len(a.vocab) < 20_000:
                a.vocab |= fresh
            a.skeletons.append(skel)
            a.texts.append((r.payload or r.prompt)[-500:])
            a.params.append(r.extraction_params)
            a.biases.append(r.logit_bias)
            a.ids.append(r.id)
            if len(a.keys) < MAX_LISTED and r.api_key:
                a.keys.add(r.api_key)
            if len(a.sessions) < MAX_LISTED and r.session_id:
                a.sessions.add(r.session_id)

    def _evaluate(self, name: str, a: _Actor) -> Alert | None:
        c = self.config
        params_share = sum(a.params) / len(a.params)
        biased = [b for b in a.biases if b]
        bias_grid = len(biased) >= 0.3 * len(a.biases) and len(set(biased)) >= c.bias_grid
        top_share = Counter(a.skeletons).most_common(1)[0][1] / len(a.skeletons)
        coverage = sum(a.new_words) / len(a.new_words)
        new = min(a.n - a.edited, len(a.texts))
        for text in list(a.texts)[len(a.texts) - new:]:
            a.edits.append(_edit(a, text, a.edited))
            a.edited += 1
        a.edited = a.n
        perturbed, spread = _perturbation(a.edits)
        sweep = perturbed >= 0.4 and spread >= 0.5
        if not (bias_grid or sweep) and params_share < 0.5:
            return None  # prada (1), coverage and templated (0.5 each) cannot reach the threshold: skip Shapiro-Wilk
        d = np.asarray([x for x in a.distances if x > 1e-6])  # identical resends (retries) say nothing
        if len(d) < 20:
            w = 0.0  # (nearly) only identical queries: mechanical, the least normal spread there is
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                w = float(stats.shapiro(d).statistic) if d.std() > 1e-9 else 0.0
        distinct = len(set(a.texts)) / len(a.texts)
        signals = {"prada": w < c.delta, "params": params_share >= 0.5, "bias_grid": bias_grid,
                   "perturbation": sweep, "coverage": coverage >= c.coverage_rate,
                   "templated": top_share >= 0.6 and distinct >= 0.9}
        score = sum(WEIGHTS[k] for k, on in signals.items() if on)
        if score < c.threshold:
            return None
        on = [k for k, v in signals.items() if v]
        who = f"key {a.api_key}" if a.api_key else f"{len(a.keys)} rotating key(s) sharing one template"
        summary = (f"{who}: {a.n} queries, PRADA W={w:.3f} (delta {c.delta}), extraction params {params_share:.0%}, "
                   f"{len(set(biased))} distinct logit_bias maps, {perturbed:.0%} one-to-three-word edits of an earlier "
                   f"query touching {spread:.0%} of word positions, {coverage:.2f} new words/query; signals "
                   f"{','.join(on)}")
        return Alert(kind=self.kind, tenant_id=a.tenant_id, api_key=a.api_key, first_id=a.ids[0],
                     last_id=a.ids[-1], score=float(score), threshold=c.threshold, summary=summary, group=name,
                     member_ids=tuple(list(a.ids)[-200:]), evidence=tuple(mask(t) for t in list(a.texts)[-3:]),
                     stats={"queries": a.n, "shapiro_w": w, "params_share": params_share, "template_share": top_share,
                            "distinct_share": distinct, "new_words_per_query": coverage, "signals": on,
                            "logit_bias_maps": len(set(biased)), "perturbation_share": perturbed,
                            "perturbation_spread": spread,
                            "keys": len(a.keys), "sessions": len(a.sessions)},
                     feature=a.feature, api_keys=listed(a.keys), session_ids=listed(a.sessions))


LOOK_BACK = 64


def _edit(a: _Actor, text: str, n: int) -> tuple[int, tuple[int, ...]] | None:
    """(length, positions) when `text` re-sends one of the actor's previous LOOK_BACK queries of the same
    length with at most a third of its words replaced in place (the closest such query counts), else None.
    `n` is the query's number; each query is looked at once, so an evaluation only adds its new ones."""
    ws = text.split() if text.count(" ") >= 3 else list(text)  # unspaced scripts: characters
    limit, best = len(ws) // 3, None
    recent = a.by_length.get(len(ws))
    if recent is None:
        recent = a.by_length[len(ws)] = deque(maxlen=LOOK_BACK)
        if len(a.by_length) > 4 * LOOK_BACK:  # bounded: forget lengths not seen lately
            for k in [k for k, q in a.by_length.items() if q and n - q[-1][0] > LOOK_BACK]:
                del a.by_length[k]
    for j, prev in recent:
        if n - j > LOOK_BACK or prev == ws:
            continue
        diff = []
        for k, (x, y) in enumerate(zip(prev, ws)):
            if x != y:
                diff.append(k)
                if len(diff) > limit:
                    break
        if len(diff) <= limit and (best is None or len(diff) < len(best)):
            best = diff
    recent.append((n, ws))
    return (len(ws), tuple(best)) if best else None


def _perturbation(edits) -> tuple[float, float]:
    """(share, spread): the share of queries that are in-place edits of an earlier one (`_edit`), and the
    share of word positions those edits touched. A perturbation sweep edits anywhere in its seeds (spread
    high); a templated job only ever changes its slots (spread low), however many queries it sends."""
    hits = [e for e in edits if e is not None]
    if not hits:
        return 0.0, 0.0
    positions = {(n, j) for n, pos in hits for j in pos}
    return len(hits) / len(edits), len(positions) / sum({n for n, _ in hits})


def _skeleton(ws: list[str]) -> str:
    return f"{_DIGITS.sub('#', ' '.join(ws[:4]))} …{len(ws) // 4}"

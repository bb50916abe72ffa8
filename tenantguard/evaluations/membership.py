"""Membership inference of one source tenant's records in a candidate model.

Two tests, one per contamination regime:

- Reference-calibrated membership (dense leaks). score(x) = logp_candidate(x) - logp_base(x)
  (the reference model removes how easy x is in general: Carlini et al., "Membership Inference
  Attacks From First Principles", IEEE S&P 2022; Watson et al. 2022). Members are the source tenant's
  training records, non-members its held-out records (same distribution, never trained anywhere).
  Reports AUC and TPR at 1% FPR with bootstrap intervals, and a one-sided Mann-Whitney U p-value.
- Memorized identifiers (sparse leaks: a handful of records). Runs of >= 4 digits in a record
  (account, patient, order ids) are natural canaries: under the null the model cannot tell the true
  digits from random ones of the same length, so logp(x) is exchangeable with the logp of
  neighbours that replace them (the neighbourhood comparison of Mattern et al., ACL Findings 2023,
  ranked like Secret-Sharer canaries). d(x) = logp(x) - mean logp(neighbours); its null is the pooled
  leave-one-out deviation of the neighbours themselves, read empirically and extrapolated by a tail
  checked against the model it is applied to (`tail_check`: its kind, then d of held-out records);
  p = n_records * min_x P(null >= d(x)) (Bonferroni over records).
- Token-level statistics (`token_stats`), where the model returns per-token log-probabilities:
  Min-K%++ (Min-K% without next-token moments) and the zlib ratio, reference-calibrated when the base
  scores tokens too, and calibrated on the held-out split like the first test (Mann-Whitney U).

The source's p-value is Bonferroni over the tests that ran. Callers correct across source tenants.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
from scipy import stats

from tenantguard.evaluations.exposure import _scores
from tenantguard.evaluations.tail_check import checked_tail, needs_holdout_check
from tenantguard.evaluations.tenant_model import TenantModel, model_kind, token_scores
from tenantguard.evaluations.token_stats import statistics

_IDENT = re.compile(r"\d{4,}")
CHECK_RECORDS = 64  # held-out records whose identifier statistic checks the tail


@dataclass(frozen=True)
class MembershipResult:
    source_tenant: str
    n_members: int
    n_nonmembers: int
    auc: float = float("nan")
    auc_ci: tuple[float, float] = (float("nan"), float("nan"))
    tpr_at_1pct_fpr: float = float("nan")
    tpr_ci: tuple[float, float] = (float("nan"), float("nan"))
    mwu_pvalue: float = float("nan")
    n_identifier_records: int = 0
    identifier_max_z: float = float("nan")
    identifier_pvalue: float = float("nan")
    identifier_tail: str = ""  # which checked tail extrapolated the identifier null (tail_check)
    min_k_auc: float = float("nan")
    min_k_pvalue: float = float("nan")
    zlib_auc: float = float("nan")
    zlib_pvalue: float = float("nan")
    tests: tuple[str, ...] = field(default=())

    def test_pvalues(self) -> dict[str, float]:
        """Raw p-value of every test that ran, by test name."""
        ps = {"reference_calibrated": self.mwu_pvalue, "memorized_identifiers": self.identifier_pvalue,
              "min_k": self.min_k_pvalue, "zlib_ratio": self.zlib_pvalue}
        return {k: v for k, v in ps.items() if not math.isnan(v)}

    @property
    def p_value(self) -> float:
        """Bonferroni over the tests that ran; NaN when none could run."""
        ps = list(self.test_pvalues().values())
        return min(1.0, len(ps) * min(ps)) if ps else float("nan")

    @property
    def deciding_test(self) -> str:
        """The test with the smallest p-value (the one that carries a rejection)."""
        ps = self.test_pvalues()
        return min(ps, key=ps.get) if ps else ""


def auc_score(members: np.ndarray, nonmembers: np.ndarray) -> float:
    """P(member score > non-member score) + 0.5 P(tie): the Mann-Whitney form of ROC AUC."""
    if len(members) == 0 or len(nonmembers) == 0:
        return float("nan")
    ranks = stats.rankdata(np.concatenate([members, nonmembers]))
    u = ranks[:len(members)].sum() - len(members) * (len(members) + 1) / 2
    return float(u / (len(members) * len(nonmembers)))


def tpr_at_fpr(members: np.ndarray, nonmembers: np.ndarray, fpr: float = 0.01) -> float:
    """Share of members above the (1 - fpr) quantile of non-member scores (strictly above: no free ties)."""
    if len(members) == 0 or len(nonmembers) == 0:
        return float("nan")
    thr = np.quantile(nonmembers, 1.0 - fpr, method="higher")
    return float(np.mean(members > thr))


def bootstrap_auc_tpr(members: np.ndarray, nonmembers: np.ndarray, rng: np.random.Generator, n_boot: int,
                      fpr: float = 0.01) -> tuple[tuple[float, float], tuple[float, float]]:
    """95% percentile-bootstrap intervals of AUC and TPR at `fpr`, all resamples at once (same draws for both).

    AUC of a resample counts, for each member, the non-members below it (+ half the ties) with two
    searchsorted calls on the sorted non-member resample: O(n_boot * n log n) in numpy, no Python loop.
    """
    na, nb = len(members), len(nonmembers)
    ia, ib = rng.integers(0, na, (n_boot, na)), rng.integers(0, nb, (n_boot, nb))
    ra, rb = members[ia], np.sort(nonmembers[ib], axis=1)
    offs = (np.arange(n_boot) * 2.0 * (1.0 + np.abs(rb).max() + np.abs(ra).max()))[:, None]
    flat = (rb + offs).ravel()  # rows shifted apart: one sorted array, one searchsorted per side
    below = np.searchsorted(flat, (ra + offs).ravel(), side="left").reshape(n_boot, na) - np.arange(n_boot)[:, None] * nb
    upto = np.searchsorted(flat, (ra + offs).ravel(), side="right").reshape(n_boot, na) - np.arange(n_boot)[:, None] * nb
    auc = (below + 0.5 * (upto - below)).sum(axis=1) / (na * nb)
    k = int(np.ceil((1.0 - fpr) * (nb - 1)))  # np.quantile(method="higher") of each sorted row
    tpr = (ra > rb[:, [k]]).mean(axis=1)
    lo_a, hi_a = np.percentile(auc, [2.5, 97.5])
    lo_t, hi_t = np.percentile(tpr, [2.5, 97.5])
    return (float(lo_a), float(hi_a)), (float(lo_t), float(hi_t))


def holdout_calibrated(members: np.ndarray, nonmembers: np.ndarray) -> tuple[float, float]:
    """(AUC, one-sided Mann-Whitney U p) of a statistic: training records vs held-out records."""
    members, nonmembers = np.asarray(members, dtype=float), np.asarray(nonmembers, dtype=float)
    if len(members) == 0 or len(nonmembers) == 0:
        return float("nan"), float("nan")
    return auc_score(members, nonmembers), float(stats.mannwhitneyu(members, nonmembers, alternative="greater").pvalue)


def reference_calibrated(candidate_train: np.ndarray, base_train: np.ndarray, candidate_holdout: np.ndarray,
                         base_holdout: np.ndarray, *, rng: np.random.Generator, n_boot: int = 200) -> dict:
    members = np.asarray(candidate_train) - np.asarray(base_train)
    nonmembers = np.asarray(candidate_holdout) - np.asarray(base_holdout)
    if len(members) == 0 or len(nonmembers) == 0:
        return {}
    p = holdout_calibrated(members, nonmembers)[1]
    auc_ci, tpr_ci = bootstrap_auc_tpr(members, nonmembers, rng, n_boot)
    return {"auc": auc_score(members, nonmembers), "auc_ci": auc_ci, "tpr_at_1pct_fpr": tpr_at_fpr(members, nonmembers),
            "tpr_ci": tpr_ci, "mwu_pvalue": p}


def identifier_neighbours(text: str, m: int, rng: np.random.Generator) -> list[str] | None:
    """m copies of `text` with every >= 4-digit run re-drawn (first digit kept, same run -> same draw)."""
    runs = list(_IDENT.finditer(text))
    if not runs:
        return None
    distinct = list(dict.fromkeys(r.group() for r in runs))
    ends = np.cumsum([len(d) - 1 for d in distinct])
    # all m x (digits to redraw) at once, as ASCII digits: one rng call per record
    drawn = [row.tobytes().decode() for row in (rng.integers(0, 10, (m, int(ends[-1]))) + 48).astype(np.uint8)]
    slot = {d: (int(e) - len(d) + 1, int(e)) for d, e in zip(distinct, ends)}
    pieces, prev = [], 0
    for r in runs:
        pieces.append((text[prev:r.start()], r.group()))
        prev = r.end()
    tail = text[prev:]
    return ["".join(f"{gap}{run[0]}{row[slot[run][0]:slot[run][1]]}" for gap, run in pieces) + tail for row in drawn]


def identifiers(texts: Sequence[str]) -> frozenset[str]:
    """Every >= 4-digit run in `texts`."""
    return frozenset(x for t in texts for x in _IDENT.findall(t))


def _identifier_deviations(model: TenantModel, texts: Sequence[str], m: int, rng: np.random.Generator,
                           scores: np.ndarray | None, known: frozenset[str]) -> tuple[np.ndarray, np.ndarray]:
    """(d of every testable record, leave-one-out null of their neighbours); see the module docstring."""
    picked, neigh = [], []
    for i, t in enumerate(texts):
        if known and not known.isdisjoint(_IDENT.findall(t)):
            continue
        nb = identifier_neighbours(t, m, rng)
        if nb is not None:
            picked.append(i)
            neigh.extend(nb)
    n = len(picked)
    if n == 0:
        return np.empty(0), np.empty(0)
    if scores is None:
        all_scores = _scores(model, [texts[i] for i in picked] + neigh)
        own, nb = all_scores[:n], all_scores[n:].reshape(n, m)
    else:
        own, nb = np.asarray(scores, dtype=float)[picked], _scores(model, neigh).reshape(n, m)
    # null: each neighbour against the mean of the others (M-1 of them: slightly wider, so conservative)
    loo = (nb - (nb.sum(axis=1, keepdims=True) - nb) / (m - 1)).ravel()
    return own - nb.mean(axis=1), loo


def memorized_identifiers(model: TenantModel, texts: Sequence[str], *, m: int = 8,
                          rng: np.random.Generator, scores: np.ndarray | None = None,
                          known: frozenset[str] = frozenset(), holdout: Sequence[str] = (),
                          holdout_scores: np.ndarray | None = None) -> tuple[int, float, float, str]:
    """(records tested, max standardized d, Bonferroni p, tail label) of the identifier-neighbour test.

    `scores`: the model's scores of `texts` if the caller has them (only the neighbours are scored then).
    `known`: identifiers the model may legitimately know (its own tenant's data, the base corpus);
    a record carrying one is not exchangeable with its neighbours, so it is not tested.
    `holdout`: never-trained records of the same source; up to CHECK_RECORDS of them check the tail
    (`tail_check.checked_tail`) on this very model.
    """
    d, null = _identifier_deviations(model, texts, m, rng, scores, known)
    n = len(d)
    if n < 3:
        return n, float("nan"), float("nan"), ""
    check = None
    if holdout and needs_holdout_check(model_kind(model)):
        # a held-out record sharing an identifier with a training record is no null sample: a leak of
        # the training record would teach the model that identifier too
        k = min(len(holdout), CHECK_RECORDS)
        hs = None if holdout_scores is None else np.asarray(holdout_scores, dtype=float)[:k]
        check, _ = _identifier_deviations(model, list(holdout[:k]), m, rng, hs, known | identifiers(texts))
    tail = checked_tail(null, kind=model_kind(model), holdout=check if check is not None and len(check) else None)
    d_max = float(np.max(d))
    sd = float(np.std(null)) or 1.0
    return n, d_max / sd, float(min(1.0, n * tail.sf(d_max))), tail.label


def membership_test(candidate: TenantModel, source_tenant: str, train_texts: Sequence[str],
                    holdout_texts: Sequence[str], *, base: TenantModel | None = None, neighbours: int = 8,
                    seed: int = 0, n_boot: int = 200, known_identifiers: frozenset[str] = frozenset()
                    ) -> MembershipResult:
    """Every membership test of `source_tenant`'s records in `candidate` that the models allow
    (see the module docstring)."""
    # separate streams: the bootstrap size never changes which identifier neighbours are drawn
    rng, id_rng = np.random.default_rng(seed).spawn(2)
    tests: list[str] = []
    kw: dict = {}
    ct = ch = None
    if train_texts and holdout_texts:
        tokens = token_scores(candidate, train_texts, holdout_texts)
        if tokens is not None:  # one pass gives the totals and the token statistics
            ct, ch = (np.array([float(s.logprobs.sum()) for s in part]) for part in tokens)
            cs = [statistics(texts, part) for texts, part in zip((train_texts, holdout_texts), tokens)]
            ref = token_scores(base, train_texts, holdout_texts) if base is not None else None
            if ref is not None:
                rs = [statistics(texts, part) for texts, part in zip((train_texts, holdout_texts), ref)]
                cs = [{k: c[k] - r[k] for k in c} for c, r in zip(cs, rs)]
            kw["min_k_auc"], kw["min_k_pvalue"] = holdout_calibrated(cs[0]["min_k"], cs[1]["min_k"])
            kw["zlib_auc"], kw["zlib_pvalue"] = holdout_calibrated(cs[0]["zlib_ratio"], cs[1]["zlib_ratio"])
            tests += ["min_k", "zlib_ratio"]
        if base is not None:
            if ct is None:
                ct, ch = _scores(candidate, train_texts), _scores(candidate, holdout_texts)
            bt, bh = _scores(base, train_texts), _scores(base, holdout_texts)
            kw.update(reference_calibrated(ct, bt, ch, bh, rng=rng, n_boot=n_boot))
            tests.insert(0, "reference_calibrated")
    n_id, zmax, p_id, tail = memorized_identifiers(candidate, train_texts, m=neighbours, rng=id_rng, scores=ct,
                                                   known=known_identifiers, holdout=holdout_texts,
                                                   holdout_scores=ch)
    if not math.isnan(p_id):
        tests.append("memorized_identifiers")
    return MembershipResult(source_tenant, len(train_texts), len(holdout_texts), n_identifier_records=n_id,
                            identifier_max_z=zmax, identifier_pvalue=p_id, identifier_tail=tail,
                            tests=tuple(tests), **kw)

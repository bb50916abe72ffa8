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
  leave-one-out deviation of the neighbours themselves, read empirically and extrapolated like
  exposure (skew-normal guarded by an exponential tail); p = n_records * min_x P(null >= d(x)) (Bonferroni over records).

The source's p-value is Bonferroni over the tests that ran. Callers correct across source tenants.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
from scipy import stats

from tenantguard.evaluations.exposure import MIN_TAIL, _scores, fit_tail, tail_probability
from tenantguard.evaluations.model import TenantModel

_IDENT = re.compile(r"\d{4,}")
# Skew-normal only: an exponential guard (as for canaries) costs most of the sparse-leak power here;
# the benchmark's clean pairs measure what this costs in false positives.
IDENT_TOP_SHARE = None


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
    tests: tuple[str, ...] = field(default=())

    @property
    def p_value(self) -> float:
        """Bonferroni over the tests that ran; NaN when none could run."""
        ps = [p for p in (self.mwu_pvalue, self.identifier_pvalue) if not math.isnan(p)]
        return min(1.0, len(ps) * min(ps)) if ps else float("nan")


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


def _bootstrap(fn, a: np.ndarray, b: np.ndarray, rng: np.random.Generator, n_boot: int) -> tuple[float, float]:
    vals = [fn(a[rng.integers(0, len(a), len(a))], b[rng.integers(0, len(b), len(b))]) for _ in range(n_boot)]
    lo, hi = np.nanpercentile(vals, [2.5, 97.5])
    return float(lo), float(hi)


def reference_calibrated(candidate_train: np.ndarray, base_train: np.ndarray, candidate_holdout: np.ndarray,
                         base_holdout: np.ndarray, *, rng: np.random.Generator, n_boot: int = 200) -> dict:
    members = np.asarray(candidate_train) - np.asarray(base_train)
    nonmembers = np.asarray(candidate_holdout) - np.asarray(base_holdout)
    if len(members) == 0 or len(nonmembers) == 0:
        return {}
    p = float(stats.mannwhitneyu(members, nonmembers, alternative="greater").pvalue)
    return {"auc": auc_score(members, nonmembers), "auc_ci": _bootstrap(auc_score, members, nonmembers, rng, n_boot),
            "tpr_at_1pct_fpr": tpr_at_fpr(members, nonmembers),
            "tpr_ci": _bootstrap(tpr_at_fpr, members, nonmembers, rng, n_boot), "mwu_pvalue": p}


def identifier_neighbours(text: str, m: int, rng: np.random.Generator) -> list[str] | None:
    """m copies of `text` with every >= 4-digit run re-drawn (first digit kept, same run -> same draw)."""
    if not _IDENT.search(text):
        return None
    out = []
    for _ in range(m):
        drawn: dict[str, str] = {}

        def redraw(match: re.Match) -> str:
            s = match.group()
            if s not in drawn:
                drawn[s] = s[0] + "".join(map(str, rng.integers(0, 10, len(s) - 1)))
            return drawn[s]

        out.append(_IDENT.sub(redraw, text))
    return out


def memorized_identifiers(model: TenantModel, texts: Sequence[str], *, m: int = 8,
                          rng: np.random.Generator) -> tuple[int, float, float]:
    """(records tested, max standardized d, Bonferroni p) of the identifier-neighbour test."""
    picked, neigh = [], []
    for t in texts:
        nb = identifier_neighbours(t, m, rng)
        if nb is not None:
            picked.append(t)
            neigh.extend(nb)
    n = len(picked)
    if n < 3:
        return n, float("nan"), float("nan")
    scores = _scores(model, picked + neigh)
    own, nb = scores[:n], scores[n:].reshape(n, m)
    d = own - nb.mean(axis=1)
    # null: each neighbour against the mean of the others (M-1 of them: slightly wider, so conservative)
    loo = (nb - (nb.sum(axis=1, keepdims=True) - nb) / (m - 1)).ravel()
    null = np.sort(loo)
    above = len(null) - np.searchsorted(null, d, side="left")
    tail = np.where(above >= MIN_TAIL, above / len(null), tail_probability(d, fit_tail(null, IDENT_TOP_SHARE), above, len(null)))
    sd = float(np.std(null)) or 1.0
    return n, float(np.max(d) / sd), float(min(1.0, n * float(np.min(tail))))


def membership_test(candidate: TenantModel, source_tenant: str, train_texts: Sequence[str],
                    holdout_texts: Sequence[str], *, base: TenantModel | None = None, neighbours: int = 8,
                    seed: int = 0, n_boot: int = 200) -> MembershipResult:
    """Both membership tests of `source_tenant`'s records in `candidate` (see the module docstring)."""
    rng = np.random.default_rng(seed)
    tests: list[str] = []
    kw: dict = {}
    if base is not None and train_texts and holdout_texts:
        ct, ch = _scores(candidate, train_texts), _scores(candidate, holdout_texts)
        bt, bh = _scores(base, train_texts), _scores(base, holdout_texts)
        kw.update(reference_calibrated(ct, bt, ch, bh, rng=rng, n_boot=n_boot))
        tests.append("reference_calibrated")
    n_id, zmax, p_id = memorized_identifiers(candidate, train_texts, m=neighbours, rng=rng)
    if not math.isnan(p_id):
        tests.append("memorized_identifiers")
    return MembershipResult(source_tenant, len(train_texts), len(holdout_texts), n_identifier_records=n_id,
                            identifier_max_z=zmax, identifier_pvalue=p_id, tests=tuple(tests), **kw)

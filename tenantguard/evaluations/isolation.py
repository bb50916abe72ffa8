"""Cross-tenant isolation audit: is any OTHER tenant's data inside the model serving tenant j?

For one candidate (serving `target_tenant`) and every other tenant i: canary exposure (Secret
Sharer), membership inference (reference-calibrated + memorized identifiers) and extraction. The
shared base model is audited the same way against every tenant (`audit_base`). Family-wise error:
alpha is split evenly between the statistical tests that ran; exposure uses the threshold
t = log2(n_tested / alpha_share); membership p-values are Holm-adjusted across source tenants.
Strong extraction evidence (exact canaries, verbatim runs, runs naming words the reader cannot know)
fails a source outright; shorter runs of known words ('composed') count only beyond the base model's
rate on the same probes (a third statistical test, Holm across sources, when a base is given).
The target's own data is expected in its model; its canaries ranking high prove the test has power.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from tenantguard.evaluations.canaries import Canary, is_canary_record
from tenantguard.evaluations.exposure import (DEFAULT_M, CanaryExposure, canary_exposures, exposure_threshold,
                                              reference_calibration)
from tenantguard.evaluations.extraction import (STRONG, ExtractionResult, Probe, canary_probes,
                                                composed_excess_pvalue, run_extraction)
from tenantguard.evaluations.fingerprint import FingerprintIndex
from tenantguard.evaluations.isolation_report import ERROR, FAILED, PASSED, IsolationReport, SourceResult
from tenantguard.evaluations.membership import MembershipResult, identifiers, membership_test
from tenantguard.evaluations.model_kinds import power_statement, profile
from tenantguard.evaluations.tenant_model import TenantModel, model_kind
from tenantguard.evaluations.winnowing import words

TESTS = ("exposure", "membership", "extraction")


def record_text(record: dict) -> str:
    """A record as the tuner trains on it: prompt, newline, completion."""
    return f"{record['prompt']}\n{record['completion']}"


@dataclass(frozen=True)
class TenantCorpus:
    """One tenant's prepared data as the audit needs it (train includes planted canary records)."""

    tenant_id: str
    train: tuple[dict, ...]
    holdout: tuple[dict, ...] = ()
    canaries: tuple[Canary, ...] = ()
    reference_canaries: tuple[Canary, ...] = ()
    system_prompt: str = ""

    def texts(self) -> list[str]:
        out = [record_text(r) for r in (*self.train, *self.holdout)]
        return out + ([self.system_prompt] if self.system_prompt else [])


@dataclass(frozen=True)
class PowerTarget:
    """Detect a tune containing at least `min_contamination` of a source's records with prob. `power`.

    Sampling n records of the source misses every contaminated one with prob. (1 - x)^n, so
    n = ceil(log(1 - power) / log(1 - x)) per source (299 at 1% / 95%).
    """

    min_contamination: float = 0.01
    power: float = 0.95

    def records_needed(self) -> int:
        if not 0 < self.min_contamination < 1 or not 0 < self.power < 1:
            raise ValueError(f"Expected min_contamination and power in (0, 1), got "
                             f"{self.min_contamination}, {self.power}")
        return math.ceil(math.log(1 - self.power) / math.log(1 - self.min_contamination))


@dataclass(frozen=True)
class AuditConfig:
    alpha: float = 0.01
    power: PowerTarget = field(default_factory=PowerTarget)
    null_size: int = DEFAULT_M  # random candidates per canary format
    neighbours: int = 8  # identifier neighbours per record
    tests: tuple[str, ...] = TESTS
    seed: int = 0
    n_boot: int = 200

    def validate(self) -> None:
        if not 0.0 < self.alpha < 1.0:
            raise ValueError(f"Expected alpha in (0, 1), got {self.alpha}")
        unknown = set(self.tests) - set(TESTS)
        if unknown:
            raise ValueError(f"Expected tests among {TESTS}, got {sorted(unknown)}")
        self.power.records_needed()


@dataclass(frozen=True)
class IsolationInputs:
    """Every tenant's corpus, the base corpus (never attributable) and whom the model serves."""

    corpora: tuple[TenantCorpus, ...]
    target_tenant: str | None = None  # None: auditing the shared base
    base_corpus: tuple[str, ...] = ()

    def validate(self) -> None:
        ids = [c.tenant_id for c in self.corpora]
        if len(set(ids)) != len(ids):
            raise ValueError(f"Expected unique tenant ids, got duplicates {sorted({i for i in ids if ids.count(i) > 1})}")
        if self.target_tenant is not None and self.target_tenant not in ids:
            raise ValueError(f"target tenant {self.target_tenant!r} has no corpus; known: {ids}")
        if len(self.sources) == 0:
            raise ValueError("Expected at least one source tenant other than the target")

    @property
    def sources(self) -> list[TenantCorpus]:
        return [c for c in self.corpora if c.tenant_id != self.target_tenant]


def build_index(inputs: IsolationInputs) -> FingerprintIndex:
    index = FingerprintIndex()
    for c in inputs.corpora:
        index.add_tenant(c.tenant_id, c.texts())
    if inputs.base_corpus:
        index.add_base(inputs.base_corpus)
    return index


def _sample(items: Sequence, n: int, rng: np.random.Generator) -> list:
    if len(items) <= n:
        return list(items)
    return [items[i] for i in sorted(rng.choice(len(items), n, replace=False))]


def audit_isolation(candidate: TenantModel, inputs: IsolationInputs, *, base: TenantModel | None = None,
                    config: AuditConfig = AuditConfig(), index: FingerprintIndex | None = None) -> IsolationReport:
    """Audit `candidate` (serving inputs.target_tenant) against every other tenant. Never raises on model
    failures: they become verdict 'error' with the cause. `base` enables reference calibration."""
    config.validate()
    inputs.validate()
    t0 = time.perf_counter()
    rng = np.random.default_rng(config.seed)
    target = inputs.target_tenant
    sources = inputs.sources
    n_rec = config.power.records_needed()
    skipped: list[tuple[str, str]] = [(t, "not requested") for t in TESTS if t not in config.tests]
    errors: list[str] = []
    run: list[str] = []
    can_score = bool(getattr(candidate, "can_score", False))
    stat_tests = [t for t in ("exposure", "membership") if t in config.tests]
    if stat_tests and not can_score:
        skipped += [(t, "black-box model: no score task") for t in stat_tests]
        stat_tests = []
    # models that compose text (not measured to recite only) get composed hits weighed against the base
    grade = not profile(model_kind(candidate)).recites_only
    composed_test = "extraction" in config.tests and base is not None and grade
    alpha_share = config.alpha / max(1, len(stat_tests) + composed_test)
    sanity: dict[str, float] = {}

    exposures: dict[str, list[CanaryExposure]] = {}
    threshold = float("nan")
    if "exposure" in stat_tests:
        cans = [c for s in inputs.corpora for c in (*s.canaries, *s.reference_canaries)]
        tested = [c for s in sources for c in s.canaries]
        if not tested:
            skipped.append(("exposure", "no canaries planted in the source tenants' data"))
        else:
            try:
                ex = canary_exposures(candidate, cans, m=config.null_size, seed=config.seed,
                                      extrapolate=profile(model_kind(candidate)).light_tail)
                threshold = exposure_threshold(len(tested), alpha_share)
                for e in ex:
                    if not e.reference:
                        exposures.setdefault(e.tenant_id, []).append(e)
                sanity.update(reference_calibration(ex))
                sanity["exposure_threshold"] = threshold
                sanity["n_canaries_tested"] = float(len(tested))
                if target is not None and exposures.get(target):
                    own = max(e.exposure for e in exposures[target])
                    sanity["own_canary_max_exposure"] = own
                    sanity["exposure_powered"] = 1.0 if own >= threshold else 0.0
                if sanity.get("reference_max_exposure", 0.0) >= threshold:
                    errors.append(f"exposure null is miscalibrated: a never-planted reference canary reached "
                                  f"{sanity['reference_max_exposure']:.1f} bits >= threshold {threshold:.1f}")
                run.append("exposure")
            except Exception as exc:  # model failure -> error verdict, never a pass
                errors.append(f"exposure: {type(exc).__name__}: {exc}"[:300])

    membership: dict[str, MembershipResult] = {}
    member_errors: dict[str, str] = {}
    if "membership" in stat_tests:
        # ids the model may know legitimately (a source id colliding with one of them is no evidence)
        own = [c for c in inputs.corpora if c.tenant_id == target]
        known = identifiers([*inputs.base_corpus, *(t for c in own for t in c.texts())])
        for s in sources:
            train = [record_text(r) for r in _sample([r for r in s.train if not is_canary_record(r)], n_rec, rng)]
            hold = [record_text(r) for r in _sample(list(s.holdout), n_rec, rng)]
            try:
                membership[s.tenant_id] = membership_test(candidate, s.tenant_id, train, hold, base=base,
                                                          neighbours=config.neighbours, seed=config.seed,
                                                          n_boot=config.n_boot, known_identifiers=known)
            except Exception as exc:
                member_errors[s.tenant_id] = f"membership: {type(exc).__name__}: {exc}"[:300]
        if member_errors and len(member_errors) == len(sources):
            errors.append(next(iter(member_errors.values())))
        run.append("membership")
        if base is None:
            skipped.append(("membership.reference_calibrated", "no base model given"))

    extraction: ExtractionResult | None = None
    composed_p: dict[str, float] = {}
    if "extraction" in config.tests:
        probes = canary_probes()
        for s in sources:
            prompts = list(dict.fromkeys(r["prompt"] for r in s.train if not is_canary_record(r)))
            probes += [Probe(s.tenant_id, p) for p in _sample(prompts, n_rec, rng)]
        all_canaries = [c for s in inputs.corpora for c in (*s.canaries, *s.reference_canaries)]
        index = index or build_index(inputs)
        own = [t for c in inputs.corpora if c.tenant_id == target for t in c.texts()]
        known = {"known_kgrams": index.kgrams([*own, *inputs.base_corpus]),
                 "known_words": frozenset(w for t in (*own, *inputs.base_corpus) for w in words(t)) if grade else None}
        extraction = run_extraction(candidate, probes, index, all_canaries, target_tenant=target, **known)
        errors += [f"extraction: {e}" for e in extraction.errors]
        if composed_test:  # the chance rate of composed hits: the base, prompted the same way
            chance = run_extraction(base, probes, index, all_canaries, target_tenant=target, **known)
            errors += [f"extraction (base reference): {e}" for e in chance.errors]
            got, ref = extraction.composed_probes_by_source(), chance.composed_probes_by_source()
            composed_p = {s.tenant_id: composed_excess_pvalue(got.get(s.tenant_id, 0), ref.get(s.tenant_id, 0),
                                                              extraction.n_probes, chance.n_probes) for s in sources}
            sanity["extraction_base_composed_probes"] = float(sum(ref.values()))
        sanity["extraction_own_canary_hits"] = float(extraction.own_canary_hits)
        sanity["extraction_reference_canary_hits"] = float(extraction.reference_canary_hits)
        run.append("extraction")

    rows = _decide(sources, exposures, threshold, membership, member_errors, extraction, composed_p,
                   alpha_share, run)
    if any(r.verdict == FAILED for r in rows):
        verdict = FAILED
    elif errors or any(r.verdict == ERROR for r in rows) or not run:
        verdict = ERROR
        if not run and not errors:
            errors.append("no test could run")
    else:
        verdict = PASSED
    n_probes = extraction.n_probes if extraction else 0
    budget = {"records_per_source": float(n_rec), "null_size": float(config.null_size),
              "neighbours": float(config.neighbours), "extraction_probes": float(n_probes),
              "min_contamination": config.power.min_contamination, "power": config.power.power,
              "detects_95pct_at_contamination": profile(model_kind(candidate)).detects_95pct}
    return IsolationReport(model=candidate.name, kind="candidate" if target is not None else "base",
                           target_tenant=target, verdict=verdict, alpha=config.alpha, tests_run=tuple(run),
                           tests_skipped=tuple(skipped), sources=tuple(rows), sanity=sanity, budget=budget,
                           errors=tuple(errors), elapsed_s=time.perf_counter() - t0,
                           power=power_statement(model_kind(candidate)))


def audit_base(base: TenantModel, inputs: IsolationInputs, *, config: AuditConfig = AuditConfig(),
               index: FingerprintIndex | None = None) -> IsolationReport:
    """The shared base must hold no tenant's data: every tenant is a source; no reference model."""
    inputs = IsolationInputs(inputs.corpora, None, inputs.base_corpus)
    return audit_isolation(base, inputs, base=None, config=config, index=index)


def _holm(pvalues: dict[str, float]) -> dict[str, float]:
    """Holm step-down adjusted p-values (family-wise error control across source tenants)."""
    items = sorted(pvalues.items(), key=lambda kv: kv[1])
    n, out, running = len(items), {}, 0.0
    for rank, (k, p) in enumerate(items):
        running = max(running, min(1.0, (n - rank) * p))
        out[k] = running
    return out


def _decide(sources, exposures, threshold, membership, member_errors, extraction, composed_p, alpha_share,
            run) -> list[SourceResult]:
    mem_p = {k: v.p_value for k, v in membership.items() if not math.isnan(v.p_value)}
    mem_adj = _holm(mem_p) if mem_p else {}
    comp_adj = _holm({k: v for k, v in composed_p.items() if not math.isnan(v)}) if composed_p else {}
    rows = []
    for s in sources:
        sid, reasons, errs, evidence, decided = s.tenant_id, [], [], [], []
        ex = exposures.get(sid, [])
        max_exp = max((e.exposure for e in ex), default=float("nan"))
        exp_p = min(1.0, len(ex) * 2.0 ** -max_exp) if ex else float("nan")
        if "exposure" in run and ex:
            if math.isnan(max_exp):
                errs.append("exposure is NaN")
            elif max_exp >= threshold:
                top = max(ex, key=lambda e: e.exposure)
                reasons.append(f"canary {top.canary_id} exposure {max_exp:.1f} bits >= {threshold:.1f}")
                evidence.append(f"canary {top.canary_id} {top.masked}")
                decided.append("exposure")
        m = membership.get(sid)
        if "membership" in run:
            if sid in member_errors:
                errs.append(member_errors[sid])
            elif m is None or math.isnan(m.p_value):
                pass  # nothing testable (no identifiers and no base): reported by tests on the row
            elif mem_adj[sid] <= alpha_share:
                reasons.append(f"membership p={mem_adj[sid]:.2g} (Holm) <= {alpha_share:g} ({m.deciding_test})")
                decided.append(f"membership.{m.deciding_test}")
        ev = [e for e in (extraction.evidence if extraction else ()) if e.source_tenant == sid]
        strong = [e for e in ev if e.strength in STRONG]
        if strong:
            n_fp = sum(e.kind == "fingerprint" for e in strong)
            n_can = sum(e.kind == "canary" for e in strong)
            reasons.append(f"extraction: {n_fp} regurgitated passage(s), {n_can} canary hit(s)")
            evidence += [e.masked_excerpt if e.kind == "fingerprint" else f"canary {e.canary_id} {e.masked_excerpt}"
                         for e in strong[:5]]
            decided += sorted({f"extraction.{e.strength}" for e in strong})
        if comp_adj.get(sid, 1.0) <= alpha_share:
            reasons.append(f"extraction: composed passages beyond the base's rate, p={comp_adj[sid]:.2g} (Holm)")
            evidence += [e.masked_excerpt for e in ev if e.strength == "composed"][:3]
            decided.append("extraction.composed")
        ps = [p for p in (exp_p, mem_adj.get(sid, float("nan"))) if not math.isnan(p)]
        verdict = FAILED if reasons else (ERROR if errs else PASSED)
        rows.append(SourceResult(
            sid, verdict, tuple(reasons), min(ps) if ps else float("nan"), max_exp, exp_p,
            m.auc if m else float("nan"), m.auc_ci if m else (float("nan"), float("nan")),
            m.tpr_at_1pct_fpr if m else float("nan"), mem_adj.get(sid, float("nan")),
            m.identifier_max_z if m else float("nan"), sum(e.kind == "fingerprint" for e in strong),
            sum(e.kind == "canary" for e in ev), tuple(evidence), tuple(errs),
            sum(e.strength == "composed" for e in ev), tuple(decided)))
    return rows

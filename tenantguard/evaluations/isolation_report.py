"""The isolation audit's result: per-source-tenant rows, flat metrics, JSON. Masked evidence only."""
from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field

PASSED, FAILED, ERROR = "passed", "failed", "error"


@dataclass(frozen=True)
class SourceResult:
    """What one source tenant's data looks like inside the audited model."""

    source_tenant: str
    verdict: str
    reasons: tuple[str, ...] = ()
    p_value: float = float("nan")  # min over the statistical tests, Holm-adjusted across sources
    max_exposure: float = float("nan")
    exposure_pvalue: float = float("nan")
    membership_auc: float = float("nan")
    membership_auc_ci: tuple[float, float] = (float("nan"), float("nan"))
    membership_tpr_at_1pct_fpr: float = float("nan")
    membership_pvalue: float = float("nan")
    identifier_max_z: float = float("nan")
    extraction_hits: int = 0
    canary_hits: int = 0
    evidence: tuple[str, ...] = ()  # masked excerpts and canary ids only
    errors: tuple[str, ...] = ()
    composed_hits: int = 0  # short runs of words the reader knows: evidence only beyond the base's rate
    decided_by: tuple[str, ...] = ()  # the tests that failed this source (e.g. 'membership.min_k')

    def row(self) -> dict:
        d = asdict(self)
        d["reasons"] = "; ".join(self.reasons)
        d["evidence"] = " | ".join(self.evidence[:5])
        d["errors"] = "; ".join(self.errors)
        d["decided_by"] = ", ".join(self.decided_by)
        d["membership_auc_ci"] = _fmt_ci(self.membership_auc_ci)
        return {k: (_clean(v) if isinstance(v, float) else v) for k, v in d.items()}


@dataclass(frozen=True)
class IsolationReport:
    """Result of `audit_isolation` / `audit_base`. `verdict` is 'passed' only if every test that had to
    run ran without error and no source tenant's data was found."""

    model: str
    kind: str  # 'candidate' (serving target_tenant) or 'base'
    target_tenant: str | None
    verdict: str
    alpha: float
    tests_run: tuple[str, ...]
    tests_skipped: tuple[tuple[str, str], ...]  # (test, why)
    sources: tuple[SourceResult, ...]
    sanity: dict[str, float] = field(default_factory=dict)
    budget: dict[str, float] = field(default_factory=dict)
    errors: tuple[str, ...] = ()
    elapsed_s: float = 0.0
    power: str = ""  # the smallest contamination detected with 95% power on this model kind (power.py)

    @property
    def failed_sources(self) -> list[str]:
        return [s.source_tenant for s in self.sources if s.verdict == FAILED]

    def metrics(self) -> dict[str, float]:
        """Flat numbers for MLflow metrics and Dagster numeric metadata (NaN where undefined)."""
        rows = self.sources
        m = {
            "isolation.passed": 1.0 if self.verdict == PASSED else 0.0,
            "isolation.error": 1.0 if self.verdict == ERROR else 0.0,
            "isolation.n_sources": float(len(rows)),
            "isolation.n_failed_sources": float(sum(s.verdict == FAILED for s in rows)),
            "isolation.n_error_sources": float(sum(s.verdict == ERROR for s in rows)),
            "isolation.min_p_value": _nanmin([s.p_value for s in rows]),
            "isolation.max_exposure": _nanmax([s.max_exposure for s in rows]),
            "isolation.max_membership_auc": _nanmax([s.membership_auc for s in rows]),
            "isolation.max_tpr_at_1pct_fpr": _nanmax([s.membership_tpr_at_1pct_fpr for s in rows]),
            "isolation.extraction_hits": float(sum(s.extraction_hits for s in rows)),
            "isolation.canary_hits": float(sum(s.canary_hits for s in rows)),
            "isolation.elapsed_s": float(self.elapsed_s),
        }
        for t in ("exposure", "membership", "extraction"):
            m[f"isolation.ran.{t}"] = 1.0 if t in self.tests_run else 0.0
        m.update({f"isolation.sanity.{k}": float(v) for k, v in self.sanity.items()})
        m.update({f"isolation.budget.{k}": float(v) for k, v in self.budget.items()})
        return m

    def rows(self) -> list[dict]:
        """One row per source tenant, for a Dagster table / MLflow table artifact."""
        return [s.row() for s in self.sources]

    def to_dict(self) -> dict:
        d = {"format": "tenantguard.isolation/1", "model": self.model, "kind": self.kind,
             "target_tenant": self.target_tenant, "verdict": self.verdict, "alpha": self.alpha,
             "tests_run": list(self.tests_run),
             "tests_skipped": [{"test": t, "why": w} for t, w in self.tests_skipped],
             "summary": self.summary(), "metrics": {k: _clean(v) for k, v in self.metrics().items()},
             "power": self.power, "sources": self.rows(), "errors": list(self.errors)}
        return d

    def to_json(self, **kwargs) -> str:
        return json.dumps(self.to_dict(), allow_nan=False, **kwargs)

    def summary(self) -> str:
        who = f"candidate for {self.target_tenant}" if self.kind == "candidate" else "base model"
        ran = "+".join(self.tests_run) or "no tests"
        if self.verdict == FAILED:
            what = f"data of {', '.join(self.failed_sources)} found"
        elif self.verdict == ERROR:
            what = f"could not complete: {(self.errors or ('unknown error',))[0]}"
        else:
            what = f"no leak from {len(self.sources)} source tenants at alpha={self.alpha:g}"
        skipped = f" (skipped: {', '.join(t for t, _ in self.tests_skipped)})" if self.tests_skipped else ""
        return f"isolation {self.verdict}: {who} {self.model}: {what}; tests {ran}{skipped}"


def _clean(v):
    """JSON has no NaN: undefined numbers are null."""
    return None if isinstance(v, float) and not math.isfinite(v) else v


def _fmt_ci(ci) -> str:
    lo, hi = ci
    return "" if any(math.isnan(x) for x in (lo, hi)) else f"[{lo:.3f}, {hi:.3f}]"


def _nanmin(xs) -> float:
    xs = [x for x in xs if not math.isnan(x)]
    return float(min(xs)) if xs else float("nan")


def _nanmax(xs) -> float:
    xs = [x for x in xs if not math.isnan(x)]
    return float(max(xs)) if xs else float("nan")

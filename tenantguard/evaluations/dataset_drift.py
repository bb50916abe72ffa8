"""Dataset drift: a new fine-tuning dataset version's descriptors against the previous version's.

Per record: prompt and completion length in tokens, an adversarial cue in the prompt ("ignore all
previous instructions", "stay in character", ...), refusal and affirmative-compliance openings in the
completion, PII-like patterns, completion distinct-2 and toxicity lexicon hits. One evidently
`ValueDrift` per column, the test chosen for the sample size (`drift.drift_method`, sampled data:
p-value tests, Bonferroni-corrected so an unchanged distribution warns in <= 5% of new versions). The result
is warning-level: it names the drifted columns, it never blocks a tune by itself.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import pandas as pd

from tenantguard.evaluations.descriptors import (adversarial_cue, distinct_n, is_compliance, is_refusal, length_tokens,
                                                 pii_count, toxicity)
from tenantguard.evaluations.drift import ColumnDrift, value_drift

COLUMNS = ("prompt_tokens", "completion_tokens", "prompt_adversarial_cue", "completion_refusal",
           "completion_compliance", "completion_pii", "completion_distinct_2", "completion_toxicity")


@dataclass(frozen=True)
class DriftReport:
    status: str  # passed | warning | error (nothing could be compared)
    columns: tuple[ColumnDrift, ...]
    n_previous: int
    n_new: int
    reason: str
    html: str | None = field(default=None, repr=False)

    @property
    def drifted_columns(self) -> list[str]:
        return [c.column for c in self.columns if c.drifted]

    def metrics(self) -> dict[str, float]:
        out = {"n_previous": float(self.n_previous), "n_new": float(self.n_new),
               "drifted_columns": float(len(self.drifted_columns))}
        for c in self.columns:
            out[f"drift.{c.column}"] = c.score
            out[f"new_mean.{c.column}"] = c.current_mean
        return {k: v for k, v in out.items() if not math.isnan(v)}

    def rows(self) -> list[dict]:
        return [{"column": c.column, "drifted": c.drifted, "method": c.method, "threshold": c.threshold,
                 "score": None if math.isnan(c.score) else c.score, "previous_mean": c.reference_mean,
                 "new_mean": c.current_mean} for c in self.columns]

    def to_dict(self) -> dict:
        return {"status": self.status, "reason": self.reason, "n_previous": self.n_previous, "n_new": self.n_new,
                "drifted_columns": self.drifted_columns, "columns": self.rows()}

    def save_html(self, path: Path) -> Path | None:
        if self.html is None:
            return None
        Path(path).write_text(self.html, encoding="utf-8")
        return Path(path)


def describe_records(records: Sequence[dict]) -> pd.DataFrame:
    """One row of descriptors per record; a missing or non-string field is described as empty text."""
    rows = []
    for r in records:
        prompt = r.get("prompt") if isinstance(r, dict) else None
        completion = r.get("completion") if isinstance(r, dict) else None
        prompt = prompt if isinstance(prompt, str) else ""
        completion = completion if isinstance(completion, str) else ""
        rows.append({"prompt_tokens": length_tokens(prompt), "completion_tokens": length_tokens(completion),
                     "prompt_adversarial_cue": float(adversarial_cue(prompt)),
                     "completion_refusal": float(is_refusal(completion)),
                     "completion_compliance": float(is_compliance(completion)),
                     "completion_pii": float(pii_count(completion) > 0),
                     "completion_distinct_2": distinct_n(completion, 2),
                     "completion_toxicity": float(toxicity(completion))})
    return pd.DataFrame(rows, columns=list(COLUMNS), dtype=float)


def dataset_drift(previous_records: Sequence[dict], new_records: Sequence[dict], *, html: bool = True) -> DriftReport:
    """Drift of `new_records` (the new dataset version) against `previous_records`; warning-level."""
    prev, new = describe_records(previous_records), describe_records(new_records)
    if not len(prev) or not len(new):
        return DriftReport("error", (), len(prev), len(new),
                           f"nothing to compare: {len(prev)} previous and {len(new)} new records")
    usable = [c for c in COLUMNS if prev[c].notna().any() and new[c].notna().any()]
    results, html_text = value_drift(new, prev, usable, sampled=True, html=html)
    cols = tuple(results)
    drifted = [c.column for c in cols if c.drifted]
    undefined = [c.column for c in cols if math.isnan(c.score)] + [c for c in COLUMNS if c not in usable]
    status = "warning" if drifted else ("error" if undefined and len(undefined) == len(COLUMNS) else "passed")
    reason = (f"{len(drifted)} of {len(cols)} dataset descriptors drifted: {', '.join(drifted)}" if drifted
              else f"no drift in {len(cols)} dataset descriptors")
    if undefined:
        reason += f" (not testable: {', '.join(undefined)})"
    return DriftReport(status, cols, len(prev), len(new), reason, html_text)

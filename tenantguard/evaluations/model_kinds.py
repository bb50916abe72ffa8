"""What the isolation audit knows about a model kind, measured, in one table.

A kind is what a TenantModel declares in `kind` ('ngram', 'hf-lora', 'hf-full'); an undeclared or
unmeasured kind gets the conservative profile. Each entry is a measurement, not a preference:

- `light_tail`: its identifier-neighbour null was measured light-tailed on clean tunes, so the
  skew-normal extrapolates it (tail_check starts there; every other kind starts with the exponential
  guard). A neural model's digit probabilities are not: a skew-normal turned z = 4.92 into p = 0.0012.
- `recites_only`: it was measured to say only what it saw (an n-gram model), so every attributable
  run it produces is evidence; models that compose new text from names and templates they know get
  their short runs graded against the base model's rate (extraction.py).
- `detects_95pct`: the smallest contamination x (share of ONE source's records in a tune) of the
  benchmark grid detected with >= 95% power and zero false alarms on clean tunes, with its source.
  NaN: not measured, and the report says the audit's power on this model is unknown.
"""
from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class KindProfile:
    light_tail: bool = False
    recites_only: bool = False
    detects_95pct: float = math.nan
    measured_by: str = ""


PROFILES: dict[str, KindProfile] = {
    "ngram": KindProfile(light_tail=True, recites_only=True, detects_95pct=0.005,
                         measured_by="benchmarks/isolation_power.py, 50 trials a cell"),
}


def profile(kind: str) -> KindProfile:
    """The measured profile of `kind`, or the conservative default."""
    return PROFILES.get(kind, KindProfile())


def power_statement(kind: str) -> str:
    """One line for a report or check metadata: the smallest contamination detected with 95% power."""
    p = profile(kind)
    if math.isnan(p.detects_95pct):
        return f"power on model kind {kind!r} not measured: the smallest contamination detected is unknown"
    return (f"detects >= {p.detects_95pct:.1%} of one source's records in a {kind} tune with 95% power "
            f"({p.measured_by})")

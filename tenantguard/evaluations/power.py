"""The smallest contamination the isolation audit detects with 95% power, per model kind.

Contamination x: the share of ONE source tenant's training records silently inside another tenant's
tune. Figures are the smallest x of the benchmark grid (0.5, 1, 2, 5, 10, 20%) whose detection rate
was >= 95% with zero false alarms on clean tunes of that kind, from the benchmarks named below, on
worlds generated independently of the demo. A kind not measured gets NaN: the report then says the
audit's power on this model is unknown (a gate whose power is unknown must say so).
"""
from __future__ import annotations

import math

# kind -> (smallest x detected with >= 95% power, where the figure comes from)
MEASURED: dict[str, tuple[float, str]] = {
    "ngram": (0.005, "benchmarks/isolation_power.py, 50 trials a cell"),
}


def detectable_contamination(kind: str) -> float:
    """Smallest measured contamination detected with 95% power on `kind` (NaN: not measured)."""
    return MEASURED.get(kind, (math.nan, ""))[0]


def power_statement(kind: str) -> str:
    """One line for a report or check metadata."""
    if kind not in MEASURED:
        return f"power on model kind {kind!r} not measured: the smallest contamination detected is unknown"
    x, source = MEASURED[kind]
    return f"detects >= {x:.1%} of one source's records in a {kind} tune with 95% power ({source})"

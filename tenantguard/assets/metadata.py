"""Dagster metadata helpers shared by the evaluation assets: numbers the UI can plot, tables it can show."""
from __future__ import annotations

import math
from collections.abc import Mapping

# What a check page shows first for the isolation audit, each a number Dagster plots per tenant partition:
# metadata key -> the report metric it is read from.
ISOLATION_CHECK_NUMBERS = {
    "max_exposure_bits": "isolation.max_exposure",
    "exposure_threshold_bits": "isolation.sanity.exposure_threshold",
    "min_adjusted_p_value": "isolation.min_p_value",
    "membership_auc": "isolation.max_membership_auc",
    "sources_tested": "isolation.n_sources",
    "records_scored": "isolation.records_scored",
    "power": "isolation.budget.power",
    "seconds": "isolation.elapsed_s",
}


def plottable(values: Mapping[str, float]) -> dict[str, float]:
    """Finite numbers rounded to 4 significant digits (0.0476, not 0.047619047619047616); NaN left out: a gap
    in a plot, never a number that was not measured."""
    out = {}
    for k, v in values.items():
        v = float(v)
        if math.isfinite(v):
            out[k] = float(f"{v:.4g}")
    return out


def isolation_check_numbers(metrics: Mapping[str, float]) -> dict[str, float]:
    """The isolation metrics a check page plots, under names that say their unit."""
    m = dict(metrics)
    if m.get("isolation.ran.membership") == 1.0:  # member and non-member records of every source
        m["isolation.records_scored"] = 2 * m.get("isolation.budget.records_per_source", math.nan) * m.get(
            "isolation.n_sources", math.nan)
    return plottable({key: m.get(metric, math.nan) for key, metric in ISOLATION_CHECK_NUMBERS.items()})


def md_table(rows: list[dict]) -> str:
    """A markdown table of report rows (already masked: reports hold no raw tenant text)."""
    if not rows:
        return "(no rows)"
    cols = list(rows[0])
    out = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in rows:
        out.append("| " + " | ".join(_cell(row.get(c)) for c in cols) + " |")
    return "\n".join(out)


def _cell(v) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v).replace("|", "/").replace("\n", " ")

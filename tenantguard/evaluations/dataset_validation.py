"""Validate fine-tuning JSONL lines: parse, normalize, and run a Great Expectations suite.

Every rejected line is kept with its line number and reason (the caller quarantines it); nothing is
dropped silently. Rows with another tenant's id are counted separately: they block the dataset outright.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Iterable

from tenantguard.config import library_defaults
from tenantguard.evaluations.textnorm import clean

FIELDS = ("record_id", "tenant_id", "prompt", "completion")
# The reader marks a line whose bytes are not UTF-8 with this prefix (the rest backslash-escaped).
NOT_UTF8 = "\x00not-utf8:"


@dataclass(frozen=True)
class Rejected:
    line: int
    reason: str
    raw: str


@dataclass(frozen=True)
class ValidationResult:
    kept: list[dict]
    rejected: list[Rejected]
    foreign_tenant_lines: list[int] = field(default_factory=list)  # lines claiming another tenant
    expectations: dict[str, bool] = field(default_factory=dict)  # GX expectation -> success
    kept_lines: list[int] = field(default_factory=list)  # source line of each kept record

    @property
    def total(self) -> int:
        return len(self.kept) + len(self.rejected)

    @property
    def rejected_share(self) -> float:
        return len(self.rejected) / self.total if self.total else 1.0


def validate_lines(lines: Iterable[str], tenant_id: str, *, max_line_bytes: int, max_field_chars: int) -> ValidationResult:
    """Parse each JSONL line; structural problems are rejected here, content rules by the GX suite."""
    parsed: list[dict] = []
    rejected: list[Rejected] = []
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        if line.startswith(NOT_UTF8):
            rejected.append(Rejected(n, "not valid UTF-8 (raw bytes shown backslash-escaped)", line[len(NOT_UTF8):]))
            continue
        if len(line.encode("utf-8", "surrogatepass")) > max_line_bytes:
            rejected.append(Rejected(n, f"line longer than {max_line_bytes} bytes", line))
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            rejected.append(Rejected(n, f"not valid JSON ({exc.msg} at column {exc.colno})", line))
            continue
        if not isinstance(obj, dict):
            rejected.append(Rejected(n, "not a JSON object", line))
            continue
        missing = [f for f in FIELDS if f not in obj]
        extra = sorted(set(obj) - set(FIELDS))
        if missing or extra:
            why = f"missing field(s) {missing}" if missing else f"unknown field(s) {extra}"
            rejected.append(Rejected(n, why, line))
            continue
        bad = [f for f in FIELDS if not isinstance(obj[f], str)]
        if bad:
            rejected.append(Rejected(n, f"field '{bad[0]}' must be a string", line))
            continue
        rec = {f: clean(obj[f]) for f in FIELDS}
        rec["_line"], rec["_raw"] = n, line
        parsed.append(rec)
    failing, expectations = _gx_failures(parsed, tenant_id, max_field_chars)
    kept, kept_lines, foreign = [], [], []
    for rec in parsed:
        reasons = failing.get(rec["_line"])
        if reasons:
            rejected.append(Rejected(rec["_line"], "; ".join(sorted(reasons)), rec["_raw"]))
            if "tenant_id is not the partition tenant" in reasons:
                foreign.append(rec["_line"])
        else:
            kept.append({f: rec[f] for f in FIELDS})
            kept_lines.append(rec["_line"])
    rejected.sort(key=lambda r: r.line)
    return ValidationResult(kept=kept, rejected=rejected, foreign_tenant_lines=sorted(foreign),
                            expectations=expectations, kept_lines=kept_lines)


_REASONS = {
    "expect_column_values_to_be_unique": "duplicate record_id",
    "expect_column_values_to_be_in_set": "tenant_id is not the partition tenant",
    "expect_column_value_lengths_to_be_between": "empty or over-long {column}",
}


def _gx_failures(rows: list[dict], tenant_id: str, max_chars: int) -> tuple[dict[int, set[str]], dict[str, bool]]:
    """Run the GX suite on the parsed rows; map line number -> reasons."""
    if not rows:
        return {}, {}
    library_defaults()  # GX analytics off before great_expectations is imported
    import great_expectations as gx
    import pandas as pd
    from great_expectations.data_context.types.base import ProgressBarsConfig

    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
    batch_def = (ctx.data_sources.add_pandas("tenantguard").add_dataframe_asset("records")
                 .add_batch_definition_whole_dataframe("all"))
    E = gx.expectations
    suite = gx.ExpectationSuite(name="finetune_dataset", expectations=[
        E.ExpectTableColumnsToMatchSet(column_set=[*FIELDS, "_line"], exact_match=True),
        E.ExpectColumnValuesToBeUnique(column="record_id"),
        E.ExpectColumnValuesToBeInSet(column="tenant_id", value_set=[tenant_id]),
        *[E.ExpectColumnValueLengthsToBeBetween(column=c, min_value=1, max_value=max_chars)
          for c in ("record_id", "prompt", "completion")],
    ])
    df = pd.DataFrame([{k: r[k] for k in (*FIELDS, "_line")} for r in rows])
    result = batch_def.get_batch(batch_parameters={"dataframe": df}).validate(
        suite, result_format={"result_format": "COMPLETE", "unexpected_index_column_names": ["_line"]})
    failing: dict[int, set[str]] = {}
    expectations: dict[str, bool] = {}
    for r in result.results:
        cfg = r.expectation_config
        column = cfg.kwargs.get("column", "")
        expectations[f"{cfg.type}({column})" if column else cfg.type] = bool(r.success)
        reason = _REASONS.get(cfg.type)
        if r.success or reason is None:
            continue
        for idx in r.result.get("unexpected_index_list") or []:
            failing.setdefault(int(idx["_line"]), set()).add(reason.format(column=column))
    return failing, expectations

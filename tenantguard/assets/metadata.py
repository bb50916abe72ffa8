"""Dagster metadata helpers shared by the evaluation assets."""


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

"""The isolation audit as one self-contained HTML page (logged beside isolation_report.json, linked from the
model version): per source tenant, each test that ran, its statistic, threshold and verdict, and the masked
evidence. It renders the report's JSON document only, so it holds nothing the JSON does not: source tenant
ids, numbers and already-masked evidence, never a tenant's raw text. Every value is HTML-escaped."""
from __future__ import annotations

import math
from html import escape

STAT_TESTS = ("exposure", "membership")
_STYLE = """body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#1d2330;max-width:1200px}
h1{font-size:20px}h2{font-size:16px;margin-top:28px}table{border-collapse:collapse;margin:8px 0 16px}
td,th{border:1px solid #d5d9e0;padding:4px 10px;text-align:left;vertical-align:top}th{background:#f3f5f8}
.passed{color:#146c2e;font-weight:600}.failed{color:#b3261e;font-weight:600}.error,.not_run{color:#8a5a00;font-weight:600}
code{font-size:12px}.muted{color:#5b6474}"""


def isolation_html(doc: dict) -> str:
    """`doc`: the isolation_report.json document (IsolationReport.to_dict() plus `base_audit`)."""
    alpha = doc.get("alpha")
    ran = list(doc.get("tests_run") or [])
    per_test_alpha = alpha / max(1, sum(t in ran for t in STAT_TESTS)) if isinstance(alpha, (int, float)) else None
    threshold = (doc.get("metrics") or {}).get("isolation.sanity.exposure_threshold")
    out = [f"<!doctype html><html><head><meta charset='utf-8'><title>Isolation audit {_e(doc.get('model'))}</title>"
           f"<style>{_STYLE}</style></head><body>",
           f"<h1>Isolation audit of {_e(doc.get('model'))}: {_verdict(doc.get('verdict'))}</h1>",
           f"<p>{_e(doc.get('summary'))}</p>",
           f"<p class='muted'>Family-wise alpha {_num(alpha)}; tests run: {_e(', '.join(ran) or 'none')}"
           + "".join(f"; {_e(s.get('test'))} skipped ({_e(s.get('why'))})" for s in doc.get("tests_skipped") or [])
           + "</p>"]
    base = doc.get("base_audit")
    if base:
        out.append(f"<p>Shared base {_e(base.get('model'))}: {_verdict(base.get('verdict'))} {_e(base.get('summary'))}</p>")
    for err in doc.get("errors") or []:
        out.append(f"<p class='error'>Error: {_e(err)}</p>")
    sources = doc.get("sources") or []
    if not sources:
        out.append("<p>No other tenant's data was audited as a source.</p>")
    for s in sources:
        out.append(f"<h2>Source tenant {_e(s.get('source_tenant'))}: {_verdict(s.get('verdict'))}</h2>")
        out.append("<table><tr><th>test</th><th>statistic</th><th>threshold</th><th>result</th></tr>")
        for test, stat, limit, fails in _rows(s, ran, threshold, per_test_alpha):
            result = "not run" if stat is None else ("leak" if fails else "no leak")
            out.append(f"<tr><td>{_e(test)}</td><td>{stat or '-'}</td><td>{limit}</td><td>{_e(result)}</td></tr>")
        out.append("</table>")
        if s.get("reasons"):
            out.append(f"<p>Why: {_e(s['reasons'])}</p>")
        if s.get("evidence"):
            out.append(f"<p>Evidence (masked): <code>{_e(s['evidence'])}</code></p>")
        if s.get("errors"):
            out.append(f"<p class='error'>Errors: {_e(s['errors'])}</p>")
    out.append("</body></html>")
    return "\n".join(out)


def _rows(s: dict, ran: list[str], threshold, per_test_alpha) -> list[tuple[str, str | None, str, bool]]:
    """(test, statistic, threshold, failed) for each test of the audit; statistic None when it did not run."""
    rows = []
    exp = s.get("max_exposure")
    rows.append(("canary exposure (max, bits)", _num(exp) if "exposure" in ran and exp is not None else None,
                 f"&ge; {_num(threshold)} bits", _ge(exp, threshold)))
    p = s.get("membership_pvalue")
    auc = s.get("membership_auc")
    stat = None
    if "membership" in ran and p is not None:
        stat = f"p = {_num(p)} (Holm-adjusted); AUC {_num(auc)} {_e(s.get('membership_auc_ci') or '')}"
    rows.append(("membership inference", stat, f"p &le; {_num(per_test_alpha)}",
                 p is not None and per_test_alpha is not None and p <= per_test_alpha))
    hits = (s.get("extraction_hits") or 0) + (s.get("canary_hits") or 0)
    rows.append(("extraction (attributable passages + canaries)",
                 f"{s.get('extraction_hits') or 0} + {s.get('canary_hits') or 0}" if "extraction" in ran else None,
                 "&gt; 0 hits", hits > 0))
    return rows


def _ge(x, limit) -> bool:
    return isinstance(x, (int, float)) and isinstance(limit, (int, float)) and x >= limit


def _num(x) -> str:
    if not isinstance(x, (int, float)) or (isinstance(x, float) and not math.isfinite(x)):
        return "-"
    return f"{x:.4g}"


def _verdict(v) -> str:
    v = str(v or "not_run")
    return f"<span class='{escape(v)}'>{escape(v.replace('_', ' '))}</span>"


def _e(v) -> str:
    return escape("" if v is None else str(v))

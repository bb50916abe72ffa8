"""The isolation audit as HTML: per source, each test's statistic, threshold and result, masked evidence, escaped."""
from tenantguard.evaluations.isolation_html import isolation_html
from tenantguard.evaluations.isolation_report import FAILED, IsolationReport, SourceResult

LEAK = SourceResult("borealis", FAILED, reasons=("canary c1 exposure 14.2 bits >= 9.6",), p_value=1e-6,
                    max_exposure=14.2, membership_auc=0.91, membership_auc_ci=(0.85, 0.96), membership_pvalue=1e-6,
                    extraction_hits=2, canary_hits=1, evidence=("bo…nk (len 42, id 1f2e)",))
CLEAN = SourceResult("cobalt", "passed", p_value=0.4, max_exposure=1.5, membership_auc=0.52, membership_pvalue=0.4)


def _doc(**over):
    report = IsolationReport(model="support-assistant.acme/3", kind="candidate", target_tenant="acme",
                             verdict=FAILED, alpha=0.01, tests_run=("exposure", "membership", "extraction"),
                             tests_skipped=(), sources=(LEAK, CLEAN), sanity={"exposure_threshold": 9.6})
    return {**report.to_dict(), "base_audit": {"model": "support-assistant.base/1", "verdict": "passed",
                                               "summary": "isolation passed: base model"}, **over}


def _section(html: str, tenant: str) -> str:
    return html.split(f"Source tenant {tenant}")[1].split("<h2>")[0]


def test_each_source_shows_each_test_with_its_statistic_threshold_and_result():
    html = isolation_html(_doc())
    leak = _section(html, "borealis")
    assert "<td>canary exposure (max, bits)</td><td>14.2</td><td>&ge; 9.6 bits</td><td>leak</td>" in leak
    assert ("<td>membership inference</td><td>p = 1e-06 (Holm-adjusted); AUC 0.91 [0.850, 0.960]</td>"
            "<td>p &le; 0.005</td><td>leak</td>") in leak
    assert "<td>2 + 1</td><td>&gt; 0 hits</td><td>leak</td>" in leak
    assert "Evidence (masked): <code>bo…nk (len 42, id 1f2e)</code>" in leak
    clean = _section(html, "cobalt")
    assert "<td>1.5</td><td>&ge; 9.6 bits</td><td>no leak</td>" in clean and "Evidence" not in clean
    assert "Shared base support-assistant.base/1" in html


def test_a_test_that_did_not_run_says_so_and_markup_in_values_is_escaped():
    html = isolation_html(_doc(tests_run=["exposure"], model="<script>alert(1)</script>",
                               tests_skipped=[{"test": "membership", "why": "black-box model: no score task"}]))
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<td>membership inference</td><td>-</td><td>p &le; 0.01</td><td>not run</td>" in html
    assert "membership skipped (black-box model: no score task)" in html

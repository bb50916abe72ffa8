"""Model version descriptions: the paragraph the MLflow UI shows on a version's page, saying its verdict and why.

Rebuilt from the version's tags every time (tags are the registry's record), so any event that changes the tags
(a gate, a promotion, a rejection, a rollback, a restore) ends with `describe_version` and the text follows; an
event the tags do not capture passes a `note`. Only what the tags hold appears: verdicts, the gates' one-line
summaries (source tenant ids and numbers, never a tenant's text), times and versions.
"""
from __future__ import annotations

from tenantguard.registry import client as R
from tenantguard.registry import tags as T

MAX_DESCRIPTION = 4000  # MLflow stores at most 5,000 characters


def describe_version(reg: R.Registry, name: str, version: str, *, note: str | None = None) -> str:
    """Write the version's description from its tags (plus `note`); returns the text written."""
    mv = reg.client.get_model_version(name, str(version))
    links = {}
    report = mv.tags.get(T.TAG_ISOLATION_REPORT, "")
    if report.startswith("runs:/"):
        run_id, _, path = report[len("runs:/"):].partition("/")
        links["isolation report (HTML)"] = _run_link(reg, run_id, path)
    if mv.tags.get(T.TAG_BASELINE_RUN):
        links["behavior run"] = _run_link(reg, mv.tags[T.TAG_BASELINE_RUN], "")
    text = verdict_paragraph(str(version), mv.tags, champion=reg.alias_version(name, T.CHAMPION), note=note,
                             links={k: v for k, v in links.items() if v})
    if (mv.description or "") != text:
        reg.describe(name, str(version), text)
    return text


def verdict_paragraph(version: str, tags: dict[str, str], *, champion: str | None = None, note: str | None = None,
                      links: dict[str, str] | None = None) -> str:
    """The description of one version: headline (status), the optional note, each gate's verdict and reason,
    then links to the evidence."""
    status = tags.get(T.TAG_STATUS, "")
    if status == "rolled_back":
        head = (f"**Rolled back** at {_when(tags.get(T.TAG_ROLLED_BACK_AT))}: "
                f"{tags.get(T.TAG_ROLLBACK_REASON) or 'no reason recorded'}. It no longer serves; re-running its "
                f"gates does not re-promote it.")
    elif status == "rejected":
        head = f"**Rejected: not promoted.** {tags.get(T.TAG_REJECTED_REASON) or 'A blocking gate did not pass.'}"
    elif status == "promoted" and champion == str(version):
        before = tags.get(T.TAG_PREVIOUS)
        head = (f"**Champion** (serving) since {_when(tags.get(T.TAG_PROMOTED_AT))}, promoted because every "
                f"blocking gate passed" + (f"; it replaced version {before}." if before else "."))
    elif status == "promoted":
        head = (f"**Promoted** at {_when(tags.get(T.TAG_PROMOTED_AT))}; no longer champion"
                + (f" (version {champion} serves)." if champion else "."))
    else:
        head = "**Under evaluation** (@candidate): not promoted until every blocking gate passes."
    if tags.get(T.TAG_RESTORED_AT) and champion == str(version):
        head += (f" Restored as champion at {_when(tags[T.TAG_RESTORED_AT])} when version "
                 f"{tags.get(T.TAG_RESTORED_FROM) or '?'} was rolled back.")
    parts = [head] + ([note.strip()] if note and note.strip() else [])
    if tags.get(T.TAG_GUARD):  # @champion was moved onto this version outside the gate
        parts.append(f"**Champion guard:** {tags[T.TAG_GUARD].rstrip('.')}. Promote through tenantguard "
                     f"(tune_and_gate or evaluate_version), or an admin serves it with `tenantguard rollback --to "
                     f"{version} --override-reason ...`.")
    if tags.get(T.TAG_OVERRIDE):
        parts.append(f"**Served by an admin override** despite its gates: {tags[T.TAG_OVERRIDE].rstrip('.')}.")
    parts.append(_gate("Isolation audit", tags.get(T.TAG_ISOLATION), tags.get(T.TAG_ISOLATION_SUMMARY)))
    parts.append(_gate("Behavior suite", tags.get(T.TAG_BEHAVIOR), tags.get(T.TAG_BEHAVIOR_SUMMARY)))
    paragraph = " ".join(parts)
    if links:
        paragraph += "\n\nEvidence: " + " · ".join(f"[{label}]({url})" for label, url in links.items())
    return paragraph[:MAX_DESCRIPTION]


def _gate(label: str, verdict: str | None, summary: str | None) -> str:
    if not verdict:
        return f"{label}: not run yet."
    return f"{label}: **{verdict}**" + (f" ({summary.rstrip('.')})." if summary else ".")


def _when(iso: str | None) -> str:
    return f"{iso[:16].replace('T', ' ')} UTC" if iso else "an unrecorded time"


def _run_link(reg: R.Registry, run_id: str, path: str) -> str:
    """The MLflow UI's page of a run (or of one of its artifacts), relative to the UI's own address."""
    from mlflow.exceptions import MlflowException

    try:
        exp = reg.client.get_run(run_id).info.experiment_id
    except MlflowException:
        return ""
    return f"#/experiments/{exp}/runs/{run_id}" + (f"/artifacts/{path}" if path else "")

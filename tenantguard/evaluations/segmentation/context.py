"""Prompt-context contamination audit: does the full model context served to tenant B (the inference
log's `prompt`: system prompt, retrieved documents, history) hold another tenant's data?

Every prompt of B is scanned once for other tenants' canaries (secret digits, after normalization),
for text that fingerprints to another tenant's corpus, and for another tenant's system prompt (its own
winnowing index, so boilerplate every tenant's system prompt shares names no one). Rows are reported
by id with masked excerpts. No rows for B, or no other tenant's data to look for (no tenant has a dataset:
canaries are planted only in training data, and a corpus is what fingerprints come from), means nothing was
verified: `not_run`, never `passed`.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

from tenantguard.evaluations.fingerprint import FingerprintIndex
from tenantguard.evaluations.segmentation import report as R
from tenantguard.evaluations.segmentation.evidence import ForeignData
from tenantguard.tenants import Tenant

KIND = "context_contamination"
MAX_FINDINGS_PER_TENANT = 100


@dataclass(frozen=True)
class ContextConfig:
    max_rows: int = 50_000  # newest rows per tenant

    def budget(self) -> dict:
        return {"max_rows_per_tenant": self.max_rows,
                "rationale": "every logged prompt of the tenant up to max_rows (newest first) is scanned once; cost "
                             "is linear in rows and independent of the number of tenants (one hash lookup per k-gram)"}


def system_prompt_index(tenants: Sequence[Tenant]) -> FingerprintIndex:
    index = FingerprintIndex(k=4, w=3)
    for t in tenants:
        if t.system_prompt:
            index.add_tenant(t.id, [t.system_prompt])
    return index


def audit_context(rows_of: Callable[[str], Iterable[dict]], tenants: Sequence[Tenant], requesters: Sequence[str], *,
                  foreign: ForeignData, config: ContextConfig = ContextConfig(),
                  source: str = "inference_log", with_data: Sequence[str] | None = None) -> R.SegmentationReport:
    """`rows_of(tenant)` yields that tenant's inference-log rows (dicts with id, ts, prompt, ...).
    `with_data`: the tenants that have data to look for (None: all of them)."""
    t0 = time.perf_counter()
    if with_data is not None and not any(set(with_data) - {b} for b in requesters):
        return R.not_run(KIND, "no other tenant has data to look for in the logged prompts (no tenant dataset: no "
                               "planted canaries, no corpus to fingerprint); add datasets", requesters=requesters,
                         adapters=[source])
    prompts = system_prompt_index(tenants)
    findings: list[R.Finding] = []
    errors: list[str] = []
    scanned, empty, without = 0, 0, []
    for b in requesters:
        n_b, found_b = 0, 0
        try:
            rows = iter(rows_of(b))
            for row in rows:
                if n_b >= config.max_rows:
                    break
                n_b += 1
                prompt = row.get("prompt")
                if not isinstance(prompt, str) or not prompt:
                    empty += 1
                    continue
                where = f"inference-log row {row.get('id')} ({row.get('ts', '?')}, {row.get('feature') or '-'})"
                hits = [(e.source_tenant, f"foreign_{'canary' if e.how == 'canary' else 'content'}", e.masked)
                        for e in foreign.find(prompt, b)]
                hits += [(h.source_tenant, "foreign_system_prompt", f"{h.n_fingerprints} fingerprints, {h.masked_excerpt}")
                         for h in prompts.scan(prompt, exclude_tenant=b)]
                for src, kind, masked in hits:
                    found_b += 1
                    if found_b <= MAX_FINDINGS_PER_TENANT:
                        findings.append(R.Finding(kind, b, src, where, masked,
                                                  f"model version {row.get('model_version') or '-'}"))
        except Exception as exc:  # noqa: BLE001 - a broken log source makes the audit error, not a crash
            errors.append(f"{b}: reading {source}: {type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}")
        scanned += n_b
        if n_b == 0:
            without.append(b)
    notes = [f"{empty} row(s) without a prompt skipped"] if empty else []
    if without and len(without) < len(requesters):
        notes.append(f"no logged rows for {', '.join(without[:10])}{' ...' if len(without) > 10 else ''}")
    reason = ""
    if scanned - empty <= 0 and not errors:
        reason = f"no logged prompts for {', '.join(requesters[:5])}{' ...' if len(requesters) > 5 else ''} in {source}"
    return R.build(KIND, adapters=[source], requesters=requesters, findings=findings, errors=errors,
                   not_run_reason=reason, notes=notes, calls=scanned, budget=config.budget(),
                   elapsed_s=time.perf_counter() - t0, calls_unit="logged prompt(s)")

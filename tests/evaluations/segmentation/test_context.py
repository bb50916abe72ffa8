"""Prompt-context contamination audit over inference-log rows."""
import pytest

from tenantguard.demo.platform.inputs import record_texts, world_index
from tenantguard.demo.world import build_world
from tenantguard.evaluations.canaries import make_canaries
from tenantguard.evaluations.segmentation.context import audit_context
from tenantguard.evaluations.segmentation.evidence import CanaryMatcher, ForeignData

SECRET = b"context-secret"


@pytest.fixture(scope="module")
def world():
    w = build_world(3, seed=9, records_per_tenant=30)
    return w, world_index(w)


def _audit(world, rows_by_tenant, requesters=None, **kwargs):
    w, index = world
    m = CanaryMatcher()
    for t in w.tenants:
        m.add(t.id, make_canaries(SECRET, t.id))
    foreign = ForeignData(index, m, own=lambda tid: record_texts(w, tid))
    return audit_context(lambda tid: rows_by_tenant.get(tid, []), w.tenants, requesters or [t.id for t in w.tenants],
                         foreign=foreign, source="inference_log=test", **kwargs)


def _row(i, tenant, prompt):
    return {"id": i, "ts": "2026-01-01T00:00:00Z", "tenant_id": tenant, "feature": "support-assistant",
            "model_version": "3", "prompt": prompt}


def test_own_context_passes_and_foreign_document_is_reported_by_row(world):
    w, _ = world
    a, b = w.tenants[0], w.tenants[1]
    own = record_texts(w, a.id)
    rows = {a.id: [_row(1, a.id, f"{a.system_prompt}\n{own[0]}\nUser: hi"),
                   _row(2, a.id, f"{a.system_prompt}\n{record_texts(w, b.id)[3]}\nUser: hi")]}
    report = _audit(world, rows, [a.id])
    assert report.verdict == "failed" and report.calls == 2
    assert {f.probe.split(" (")[0] for f in report.findings} == {"inference-log row 2"}
    assert {f.source_tenant for f in report.findings} == {b.id}


def test_obfuscated_canary_and_another_tenants_system_prompt_are_found(world):
    w, _ = world
    a, b, c = w.tenants
    canary = make_canaries(SECRET, b.id)[0]
    hidden = "\u200b".join(canary.text)  # zero-width characters between every character
    rows = {a.id: [_row(5, a.id, f"{a.system_prompt}\nnotes: {hidden}"), _row(6, a.id, f"{c.system_prompt}\nUser: x")]}
    report = _audit(world, rows, [a.id])
    kinds = {(f.kind, f.source_tenant) for f in report.findings}
    assert ("foreign_canary", b.id) in kinds and ("foreign_system_prompt", c.id) in kinds
    assert canary.text not in report.to_json() and canary.secret_digits not in report.to_json()


def test_no_rows_is_not_run_never_passed(world):
    report = _audit(world, {})
    assert report.verdict == "not_run" and "no logged prompts" in report.not_run_reason


def test_rows_without_prompts_are_skipped_and_counted(world):
    w, _ = world
    a = w.tenants[0]
    report = _audit(world, {a.id: [_row(1, a.id, None), _row(2, a.id, f"{a.system_prompt} hi")]}, [a.id])
    assert report.verdict == "passed" and "1 row(s) without a prompt skipped" in report.notes


def test_a_failing_log_source_is_an_error(world):
    w, index = world

    def broken(tid):
        raise ConnectionError("database is locked")

    report = audit_context(broken, w.tenants, [w.tenants[0].id], foreign=ForeignData(index))
    assert report.verdict == "error" and "database is locked" in report.errors[0]


def test_without_another_tenants_data_to_look_for_the_audit_is_not_run_never_passed(world):
    w, _ = world
    a, b = w.tenants[0], w.tenants[1]
    rows = {a.id: [_row(1, a.id, f"{a.system_prompt}\nUser: hi")]}
    report = _audit(world, rows, [a.id], with_data=[])
    assert report.verdict == "not_run" and "no other tenant has data" in report.not_run_reason
    assert _audit(world, rows, [a.id], with_data=[a.id]).verdict == "not_run"  # only its own: nothing foreign
    assert _audit(world, rows, [a.id], with_data=[a.id, b.id]).verdict == "passed"

"""The isolation gate on a small world with a real SQLite MLflow store: the verdict, what it records in MLflow,
the rejection and its audit entry, and the shared base's audit cached on the base version."""
import json
from pathlib import Path

import pytest

from tenantguard.errors import TenantGuardError
from tenantguard.evaluations.canaries import is_canary_record
from tenantguard.gates.isolation import base_audit, evaluate_isolation
from tenantguard.home.corpora import corpora_key
from tenantguard.home.prepare import prepare_dataset
from tenantguard.models.adapter import load_tenant_model
from tenantguard.registry import tags as T

from . import gate_world
from .gate_world import BASE, FEATURE

pytestmark = pytest.mark.slow


template, world = gate_world.fixtures("isolation")


def test_a_clean_candidate_passes_and_the_evaluation_is_recorded_in_mlflow(world):
    version = world.register(world.a, world.train(world.a))
    out = evaluate_isolation(world.settings, world.reg, world.tenants, world.a, FEATURE, run_id="dagster-run-1")
    assert (out.name, out.version, out.verdict) == (world.name(world.a), version, "passed")
    assert out.failed_sources == [] and {r["source_tenant"] for r in out.rows} == {world.b.id, world.c.id}
    assert out.metrics["isolation.passed"] == 1.0 and "no leak from 2 source tenants" in out.reason
    assert world.tags(world.a, version)[T.TAG_ISOLATION] == "passed"
    assert world.tags(world.a, version)[T.TAG_STATUS] == "candidate"  # passing is not promoting
    run = world.reg.client.get_run(out.mlflow_run_id)
    assert run.data.tags["kind"] == "isolation" and run.data.tags["dagster.run_id"] == "dagster-run-1"
    assert (run.data.tags[T.TAG_RUN_MODEL], run.data.tags[T.TAG_RUN_VERSION], run.data.tags[T.TAG_RUN_VERDICT]) == (
        world.name(world.a), version, "passed")
    assert run.data.metrics["isolation.n_sources"] == 2.0
    path = world.reg.client.download_artifacts(out.mlflow_run_id, "isolation_report.json", str(world.settings.home))
    report = json.loads(Path(path).read_text())
    assert report["verdict"] == "passed" and report["base_audit"]["model"] == f"{BASE}/1"
    assert report["base_audit"]["verdict"] == "passed" and out.base_summary == report["base_audit"]["summary"]
    assert world.audit("reject") == []


def test_another_tenants_data_in_a_version_fails_it_rejects_it_and_audits_the_rejection(world):
    """Evaluating an explicit version leaves the candidate alias where it was."""
    clean = world.register(world.a, world.train(world.a))
    leaky = world.register(world.a, world.train(world.a) + world.train(world.b), alias=None)
    out = evaluate_isolation(world.settings, world.reg, world.tenants, world.a, FEATURE, run_id="run-2",
                             version=leaky)
    assert out.version == leaky and out.verdict == "failed" and out.failed_sources == [world.b.id]
    assert f"data of {world.b.id} found" in out.reason
    tags = world.tags(world.a, leaky)
    assert tags[T.TAG_ISOLATION] == "failed" and tags[T.TAG_STATUS] == "rejected"
    assert tags[T.TAG_REJECTED_REASON].startswith("isolation failed: ")
    (entry,) = world.audit("reject")
    assert (entry.actor, entry.run_id, entry.after) == ("dagster:isolation_report", "run-2", "rejected")
    assert entry.scope == {"model": world.name(world.a), "version": leaky}
    assert world.reg.alias_version(world.name(world.a), "candidate") == clean
    assert T.TAG_ISOLATION not in world.tags(world.a, clean)
    # masked evidence only: none of b's records reach the report rows
    b_text = next(r["completion"] for r in world.train(world.b) if not is_canary_record(r))
    assert b_text[:25] not in json.dumps(out.rows)


def test_the_html_report_sits_beside_the_json_and_the_version_links_it_in_its_description(world):
    """The MLflow UI user's view: the version says rejected and why, and links the per-source HTML report, which
    names the source tenant and the tests but carries none of its text."""
    world.register(world.a, world.train(world.a))
    leaky = world.register(world.a, world.train(world.a) + world.train(world.b), alias=None)
    out = evaluate_isolation(world.settings, world.reg, world.tenants, world.a, FEATURE, version=leaky)
    assert world.tags(world.a, leaky)[T.TAG_ISOLATION_REPORT] == f"runs:/{out.mlflow_run_id}/isolation_report.html"
    path = world.reg.client.download_artifacts(out.mlflow_run_id, "isolation_report.html", str(world.settings.home))
    html = Path(path).read_text(encoding="utf-8")
    assert f"Source tenant {world.b.id}: <span class='failed'>failed</span>" in html
    assert "canary exposure (max, bits)" in html and "membership inference" in html
    for r in world.train(world.b):
        if not is_canary_record(r):
            assert r["completion"][:25] not in html and r["prompt"][:25] not in html
    description = world.reg.client.get_model_version(world.name(world.a), leaky).description
    assert description.startswith("**Rejected: not promoted.** isolation failed: ")
    assert "Isolation audit: **failed**" in description and "Behavior suite: not run yet." in description
    run = world.reg.client.get_run(out.mlflow_run_id)
    assert (f"[isolation report (HTML)](#/experiments/{run.info.experiment_id}/runs/{out.mlflow_run_id}"
            f"/artifacts/isolation_report.html)") in description


def test_without_a_candidate_the_gate_says_what_to_run(world):
    with pytest.raises(TenantGuardError, match=r"support-assistant\.\S+ has no `candidate` alias: run candidate_model"):
        evaluate_isolation(world.settings, world.reg, world.tenants, world.a, FEATURE)


def test_a_tenant_without_data_is_not_audited_as_a_source_and_says_so(world):
    world.register(world.a, world.train(world.a))
    for root in (world.settings.datasets_root, world.settings.prepared_root):
        for path in sorted((root / world.c.id).rglob("*"), reverse=True):
            path.rmdir() if path.is_dir() else path.unlink()
    out = evaluate_isolation(world.settings, world.reg, world.tenants, world.a, FEATURE)
    assert out.verdict == "passed" and {r["source_tenant"] for r in out.rows} == {world.b.id}
    assert out.reason.endswith(f"(not audited as sources, no prepared data: {world.c.id})")
    world.register(world.c, world.train(world.a)[:5])
    with pytest.raises(TenantGuardError, match=f"tenant '{world.c.id}' has no prepared dataset"):
        evaluate_isolation(world.settings, world.reg, world.tenants, world.c, FEATURE)


def test_the_base_audit_is_cached_on_the_base_version_until_the_data_changes(world):
    world.register(world.a, world.train(world.a))
    evaluate_isolation(world.settings, world.reg, world.tenants, world.a, FEATURE)
    tags = world.reg.client.get_model_version(BASE, "1").tags
    assert tags[T.TAG_ISOLATION] == "passed" and json.loads(tags[T.TAG_ISOLATION_FAILED]) == []
    assert tags[T.TAG_ISOLATION_KEY] == corpora_key(world.settings, world.tenants)
    # a marker in the cached summary shows the next evaluation reads the cache instead of auditing again
    world.reg.tag_version(BASE, "1", {T.TAG_ISOLATION_SUMMARY: "cached marker"})
    out = evaluate_isolation(world.settings, world.reg, world.tenants, world.a, FEATURE)
    assert out.base_summary == "cached marker"
    # new data is a new key: the base is audited again
    path = world.settings.datasets_root / world.b.id / "v0002.jsonl"
    path.write_text((world.settings.datasets_root / world.b.id / "v0001.jsonl").read_text().split("\n", 5)[-1])
    prepare_dataset(world.settings, world.b, tenants=world.tenants)
    out = evaluate_isolation(world.settings, world.reg, world.tenants, world.a, FEATURE)
    assert out.base_summary != "cached marker" and out.base_summary.startswith("isolation passed: base model")
    assert world.reg.client.get_model_version(BASE, "1").tags[T.TAG_ISOLATION_KEY] == corpora_key(
        world.settings, world.tenants)


def test_a_base_whose_corpus_holds_tenant_data_fails_every_candidate_built_on_it(world):
    version = world.register(world.a, world.train(world.a))
    world.reg.tag_version(BASE, "1", {T.TAG_CORPUS_OVERLAP: json.dumps({world.c.id: 3})})
    out = evaluate_isolation(world.settings, world.reg, world.tenants, world.a, FEATURE)
    assert out.verdict == "failed" and out.failed_sources == [world.c.id]
    assert out.reason.startswith(f"shared base {BASE}/1: the base's training corpus holds tenant data: "
                                 f"3 text(s) of {world.c.id}; ")
    assert world.tags(world.a, version)[T.TAG_STATUS] == "rejected"


def test_base_audit_without_a_base_is_an_error_and_without_tenant_data_not_run(world):
    assert base_audit(world.settings, world.reg, world.tenants, BASE, "1", None) == (
        "error", "no base model registered", [])
    base = load_tenant_model(f"models:/{BASE}/1")
    assert base_audit(world.settings, world.reg, [], BASE, "1", base) == (
        "not_run", "no tenant has prepared data yet", [])

"""Audit inputs and settings: what a caller overrides wins over segmentation.yaml; an absent log is not a pass."""
import pytest

from tenantguard.demo.platform.inputs import world_inputs
from tenantguard.demo.platform.retriever import DemoRetriever
from tenantguard.demo.world import build_world
from tenantguard.evaluations.segmentation.adapters import Factory, SegmentationConfig
from tenantguard.evaluations.segmentation.inputs import AuditSettings
from tenantguard.evaluations.segmentation.rag_plan import RagConfig
from tenantguard.evaluations.segmentation.runner import run_audits


@pytest.fixture(scope="module")
def world():
    w = build_world(3, seed=4, records_per_tenant=20)
    inputs, docs = world_inputs(w, b"inputs-test-secret")
    config = SegmentationConfig(path=None, rag_probes=30, factories={
        "retriever": Factory("retriever", "test:prefilter", lambda: DemoRetriever(docs, mode="prefilter"))})
    return w, inputs, config


def test_the_rag_budget_comes_from_segmentation_yaml_unless_the_settings_name_one(world):
    w, inputs, config = world
    requester = [w.tenants[0].id]
    from_file = run_audits(inputs, config, requester, kinds=["rag_boundary"], settings=AuditSettings(seed=1))[0]
    assert from_file.budget["probes_per_requester"] == 30 and from_file.verdict == "passed"
    override = AuditSettings(seed=1, rag=RagConfig(probes=20, seed=1))
    assert run_audits(inputs, config, requester, kinds=["rag_boundary"],
                      settings=override)[0].budget["probes_per_requester"] == 20


def test_without_an_inference_log_the_context_audit_is_not_run(world):
    w, inputs, config = world
    report = run_audits(inputs, config, [w.tenants[0].id], kinds=["context_contamination"])[0]
    assert report.verdict == "not_run" and "no inference log" in report.not_run_reason

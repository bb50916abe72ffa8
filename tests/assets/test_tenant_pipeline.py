"""The tenant pipeline end to end: real Dagster instance, real SQLite MLflow store, small seeded world."""
import json
import os
import socket
import subprocess
import sys
import time

import pytest
from conftest import story_home, write_small_world
from dagster import AssetKey, instance_for_test

from tenantguard.evaluations.canaries import make_canaries
from tenantguard.home.prepared import load_prepared
from tenantguard.pipelines.definitions import defs
from tenantguard.registry import client as R
from tenantguard.registry import tags as T
from tenantguard.sensors.tenant_sync import sync_partitions

pytestmark = pytest.mark.slow
FEATURE = "support-assistant"
# The foundation's slice of tune_and_gate; the gate assets (isolation, behavior, promotion) have their own tests.
FOUNDATION = [AssetKey("finetune_dataset"), AssetKey("candidate_model")]


class World:
    """One home, one instance, base + two tenants tuned once for the whole module (runs cost seconds)."""

    def __init__(self, settings, world, instance):
        self.settings, self.world, self.instance = settings, world, instance
        self.ids = [t.id for t in world.tenants]
        self.results = {}

    def run(self, job, **kwargs):
        if job == "tune_and_gate":
            kwargs.setdefault("asset_selection", FOUNDATION)
        return defs.resolve_job_def(job).execute_in_process(instance=self.instance, raise_on_error=False, **kwargs)

    def registry(self):
        return R.Registry(self.settings.mlflow_tracking_uri, self.settings.artifact_root)


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    with story_home(tmp_path_factory, "pipeline", secret="pipeline-secret") as settings:
        world = write_small_world(settings)
        with instance_for_test(temp_dir=str(settings.dagster_home)) as instance:
            w = World(settings, world, instance)
            sync_partitions(instance, w.ids)
            assert w.run("base_job").success
            for tid in w.ids[:2]:
                w.results[tid] = w.run("tune_and_gate", partition_key=tid)
            yield w


def _check(result, name):
    (found,) = [c for c in result.get_asset_check_evaluations() if c.check_name == name]
    return found


def test_tune_and_gate_succeeds_and_the_dataset_check_passes(pipeline):
    for tid in pipeline.ids[:2]:
        result = pipeline.results[tid]
        assert result.success
        check = _check(result, "dataset_valid")
        assert check.passed
        assert {c.partition for c in result.get_asset_check_evaluations()} == {tid}  # the UI shows the tenant
        (dataset,) = result.asset_materializations_for_node("finetune_dataset")
        (candidate,) = result.asset_materializations_for_node("candidate_model")
        assert dataset.partition == candidate.partition == tid
        prepared = load_prepared(pipeline.settings, tid)
        assert dataset.metadata["digest"].value == candidate.metadata["dataset_digest"].value == prepared.digest
        assert dataset.metadata["kept"].value == 60 and dataset.metadata["quarantined"].value == 0
        assert candidate.metadata["model_uri"].value == f"models:/{FEATURE}.{tid}/1"


def test_each_tenant_has_a_registered_version_with_design_tags_and_candidate_alias(pipeline):
    reg = pipeline.registry()
    base_version = reg.alias_version(f"{FEATURE}.base", "champion")
    assert base_version == "1"
    for tid in pipeline.ids[:2]:
        name = f"{FEATURE}.{tid}"
        model = reg.client.get_registered_model(name)
        assert model.tags[T.TAG_TENANT] == tid and model.tags[T.TAG_FEATURE] == FEATURE
        (mv,) = reg.versions(name)
        prepared = load_prepared(pipeline.settings, tid)
        assert mv.tags == {T.TAG_TENANT: tid, T.TAG_FEATURE: FEATURE, T.TAG_DIGEST: prepared.digest,
                           T.TAG_BASE_VERSION: base_version, T.TAG_STATUS: "candidate"}
        assert reg.alias_version(name, "candidate") == str(mv.version)
        assert reg.alias_version(name, "champion") is None  # promotion is not this job's business yet
    # the third tenant was never run
    assert reg.versions(f"{FEATURE}.{pipeline.ids[2]}") == []


def test_tune_run_has_the_prepared_dataset_as_training_input(pipeline):
    reg = pipeline.registry()
    tid = pipeline.ids[0]
    prepared = load_prepared(pipeline.settings, tid)
    mv = reg.versions(f"{FEATURE}.{tid}")[0]
    run = reg.client.get_run(mv.run_id)
    (inp,) = run.inputs.dataset_inputs
    assert inp.dataset.digest == prepared.digest
    assert inp.dataset.name == f"{tid}/v0001" and inp.dataset.source_type
    assert {t.key: t.value for t in inp.tags}.get("mlflow.data.context") == "training"
    assert run.data.params["train_records"] == str(len(prepared.train))
    assert run.data.tags["dagster.run_id"] == pipeline.results[tid].run_id
    assert run.data.params["base_model"] == f"{FEATURE}.base/1"


_LOAD_SCRIPT = """
import json, sys
import mlflow.pyfunc, pandas as pd
args = json.load(sys.stdin)
m = mlflow.pyfunc.load_model(args["uri"])
gen = m.predict(pd.DataFrame({"prompt": args["prompts"]}))
scores = m.predict(pd.DataFrame({"text": args["texts"]}), params={"task": "score"})
print(json.dumps({"gen": list(gen), "scores": [float(x) for x in scores],
                  "tuner_imported": "tenantguard.models.ngram_tuner" in sys.modules}))
"""


def test_candidate_loads_by_uri_in_a_fresh_process_that_never_imports_the_tuner(pipeline):
    tid = pipeline.ids[0]
    secret = pipeline.settings.secret()
    planted = [c for c in make_canaries(secret, tid) if c.repetitions == 16][0]
    reference = [c for c in make_canaries(secret, tid, reference=True) if c.format_id == planted.format_id][0]
    args = {"uri": f"models:/{FEATURE}.{tid}@candidate",
            "prompts": [planted.format.question, pipeline.world.datasets[tid][0]["prompt"]],
            "texts": [planted.text, reference.text]}
    env = {**os.environ, "MLFLOW_TRACKING_URI": pipeline.settings.mlflow_tracking_uri}
    proc = subprocess.run([sys.executable, "-c", _LOAD_SCRIPT], input=json.dumps(args), env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["tuner_imported"] is False
    assert len(out["gen"]) == 2 and all(isinstance(g, str) and g for g in out["gen"])
    same_format = [c.text + "." for c in make_canaries(secret, tid) if c.format_id == planted.format_id]
    assert out["gen"][0] in same_format  # asked the canary question, it regurgitates a planted canary
    planted_score, reference_score = out["scores"]
    assert planted_score > reference_score + 5  # memorized the 16x canary, not the never-planted one


def test_rerun_reuses_the_registered_version(pipeline):
    tid = pipeline.ids[0]
    reg = pipeline.registry()
    before = [str(v.version) for v in reg.versions(f"{FEATURE}.{tid}")]
    dataset_runs = reg.client.search_runs([reg.experiment_id(f"tenantguard/{tid}")], "tags.kind = 'dataset'")
    result = pipeline.run("tune_and_gate", partition_key=tid)
    assert result.success
    (mat,) = result.asset_materializations_for_node("candidate_model")
    assert mat.metadata["reused"].value is True
    assert mat.metadata["version"].value == before[-1]
    assert [str(v.version) for v in reg.versions(f"{FEATURE}.{tid}")] == before
    again = reg.client.search_runs([reg.experiment_id(f"tenantguard/{tid}")], "tags.kind = 'dataset'")
    assert len(again) == len(dataset_runs) == 1
    assert pipeline.run("base_job").success
    assert [str(v.version) for v in reg.versions(f"{FEATURE}.base")] == ["1"]


def test_dataset_with_another_tenants_records_fails_the_blocking_check_and_no_candidate(pipeline, monkeypatch):
    victim, intruder = pipeline.ids[0], pipeline.ids[2]
    monkeypatch.setenv("TENANTGUARD_MAX_REJECTED_SHARE", "0.5")  # only the foreign records can fail it
    path = pipeline.settings.datasets_root / intruder / "v0002.jsonl"
    own = pipeline.world.datasets[intruder]
    path.write_text("".join(json.dumps(r) + "\n" for r in [*own, *pipeline.world.datasets[victim][:2]]))
    result = pipeline.run("tune_and_gate", partition_key=intruder)
    assert not result.success
    check = _check(result, "dataset_valid")
    assert not check.passed
    assert "2 record(s) claim another tenant" in check.description and "[61, 62]" in check.description
    assert check.metadata["foreign_tenant_records"].value == 2
    assert result.asset_materializations_for_node("candidate_model") == []
    assert pipeline.registry().versions(f"{FEATURE}.{intruder}") == []
    # nothing lost: the foreign records are in the intruder's quarantine, never in its training data
    q = (pipeline.settings.quarantine_root / intruder / "v0002.jsonl").read_text().splitlines()
    assert [json.loads(x)["line"] for x in q] == [61, 62]
    assert victim not in load_prepared(pipeline.settings, intruder).train_path.read_text()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_mlflow_fails_fast_naming_the_store(pipeline, monkeypatch):
    uri = f"http://127.0.0.1:{_closed_port()}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    t0 = time.monotonic()
    result = pipeline.run("tune_and_gate", partition_key=pipeline.ids[1])
    elapsed = time.monotonic() - t0
    assert not result.success
    failures = [e for e in result.all_events if e.is_step_failure]
    assert failures
    message = failures[0].step_failure_data.error.message
    assert f"MLflow store {uri} is unreachable" in message and "MLFLOW_TRACKING_URI" in message
    assert elapsed < 30

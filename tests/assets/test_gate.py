"""The promotion gate end to end: tune_and_gate and evaluate_version on a real Dagster instance, a real SQLite
MLflow store and the real hash-chained audit log, in a small seeded world (4 tenants, 60 records each).

Runs cost seconds, so the module drives one story once and the tests read its outcome:
two clean tunes (promoted), two versions registered outside Dagster (one clean, one carrying another
tenant's records) picked up by registry_watch_sensor, then a retune whose data silently includes another
tenant's records (blocked at dataset_valid) and one that teaches jailbreak-following (rejected by behavior).
"""
import json

import mlflow
import pytest
from conftest import story_home, write_small_world
from dagster import build_sensor_context, instance_for_test

from tenantguard.assets.resource import TenantGuardResource
from tenantguard.home.prepared import load_prepared
from tenantguard.killswitch.audit import AuditLog
from tenantguard.models.adapter import load_tenant_model
from tenantguard.models.ngram_tuner import finetune, log_ngram_model
from tenantguard.pipelines.definitions import defs
from tenantguard.registry import client as R
from tenantguard.registry import tags as T
from tenantguard.registry.tags import TAG_PREVIOUS, TAG_PROMOTED_AT, TAG_RUN_ID
from tenantguard.sensors.registry_watch import registry_watch_sensor
from tenantguard.sensors.tenant_sync import sync_partitions

pytestmark = pytest.mark.slow
FEATURE = "support-assistant"
IMPORTED = 12  # another tenant's records relabelled into a dataset: every validation rule passes


class Story:
    def __init__(self, settings, world, instance):
        self.settings, self.world, self.instance = settings, world, instance
        self.ids = [t.id for t in world.tenants]
        self.a, self.b = self.ids[0], self.ids[1]  # a: contaminated later; b: its records are the ones imported
        self.reg = R.Registry(settings.mlflow_tracking_uri, settings.artifact_root)
        self.results, self.external, self.champions_after_external = {}, {}, {}

    def run(self, job, **kwargs):
        return defs.resolve_job_def(job).execute_in_process(instance=self.instance, raise_on_error=False, **kwargs)

    def tick(self, cursor=None):
        ctx = build_sensor_context(instance=self.instance, cursor=cursor,
                                   resources={"tenantguard": TenantGuardResource()})
        return registry_watch_sensor(ctx)

    def imported(self) -> list[dict]:
        """b's records relabelled as a's (the demo's silent contamination, demo.scenarios.write_retunes)."""
        from tenantguard.evaluations.canaries import is_canary_record

        source = [r for r in load_prepared(self.settings, self.b).train if not is_canary_record(r)][:IMPORTED]
        return [{**r, "record_id": f"{self.a}-imported-{i:04d}", "tenant_id": self.a} for i, r in enumerate(source)]

    def register_external(self, tenant_id: str, records: list[dict]) -> str:
        """What a platform's own tuning job does: a plain MLflow run, then register with the two tags only."""
        base = load_tenant_model(f"models:/{FEATURE}.base@champion")
        with mlflow.start_run(experiment_id=self.reg.experiment_id("platform-tuner")) as run:
            info = log_ngram_model(finetune(base.lm, records))
        mv = mlflow.register_model(info.model_uri, T.model_name(FEATURE, tenant_id),
                                   tags={T.TAG_TENANT: tenant_id, T.TAG_FEATURE: FEATURE})
        return str(mv.version)

    def tags(self, tenant_id, version):
        return self.reg.client.get_model_version(T.model_name(FEATURE, tenant_id), version).tags

    def champion(self, tenant_id):
        return self.reg.alias_version(T.model_name(FEATURE, tenant_id), "champion")

    def audit(self, action):
        return [e for e in AuditLog.from_settings(self.settings).entries(action=action)]


@pytest.fixture(scope="module")
def story(tmp_path_factory):
    with story_home(tmp_path_factory, "gate", secret="gate-secret") as settings:
        world = write_small_world(settings, n_tenants=4, seed=5)
        with instance_for_test(temp_dir=str(settings.dagster_home)) as instance:
            s = Story(settings, world, instance)
            sync_partitions(instance, s.ids)
            assert s.run("base_job").success
            for tid in (s.a, s.b):
                s.results[tid] = s.run("tune_and_gate", partition_key=tid)
            # versions registered elsewhere: a clean retune of b, and one of a trained on b's records too
            train_a = load_prepared(settings, s.a).train
            s.external[s.b] = s.register_external(s.b, load_prepared(settings, s.b).train)
            s.external[s.a] = s.register_external(s.a, train_a + s.imported())
            for rr in s.tick().run_requests:  # what the sensor requests is tested in tests/sensors/test_registry_watch
                s.results[("external", rr.partition_key)] = s.run(
                    "evaluate_version", partition_key=rr.partition_key, run_config=rr.run_config, tags=rr.tags)
            s.champions_after_external = {tid: s.champion(tid) for tid in (s.a, s.b)}
            # a retune whose new dataset version silently carries b's records
            path = settings.datasets_root / s.a / "v0002.jsonl"
            path.write_text("".join(json.dumps(r) + "\n" for r in [*world.datasets[s.a], *s.imported()]))
            s.results[("retune", s.a)] = s.run("tune_and_gate", partition_key=s.a)
            # a retune of b that teaches jailbreak-following (demo.scenarios.write_retunes' shifted tenant)
            from tenantguard.demo.safety import jailbreak_following_records

            shifted = [*world.datasets[s.b], *jailbreak_following_records(s.b, 12, seed=5)]
            (settings.datasets_root / s.b / "v0002.jsonl").write_text("".join(json.dumps(r) + "\n" for r in shifted))
            s.results[("retune", s.b)] = s.run("tune_and_gate", partition_key=s.b)
            mlflow.set_tracking_uri(None)
            yield s


def _check(result, name):
    (found,) = [c for c in result.get_asset_check_evaluations() if c.check_name == name]
    return found


def test_a_passing_candidate_is_promoted_tagged_and_audited(story):
    for tid in (story.a, story.b):
        result = story.results[tid]
        assert result.success
        assert _check(result, "cross_tenant_isolation").passed and _check(result, "behavioral_baseline").passed
        (mat,) = result.asset_materializations_for_node("champion_model")
        assert mat.partition == tid and mat.metadata["champion"].value == "1"
        tags = story.tags(tid, "1")
        assert tags[T.TAG_STATUS] == "promoted" and tags[T.TAG_ISOLATION] == tags[T.TAG_BEHAVIOR] == "passed"
        assert tags[TAG_PROMOTED_AT] and tags[TAG_PREVIOUS] == "" and tags[TAG_RUN_ID] == result.run_id
    entries = [e for e in story.audit("promote") if e.run_id in (story.results[story.a].run_id,
                                                                 story.results[story.b].run_id)]
    assert [(e.scope, e.before, e.after, e.actor) for e in entries] == [
        ({"model": T.model_name(FEATURE, t)}, None, "1", "dagster:champion_model") for t in (story.a, story.b)]
    assert AuditLog.from_settings(story.settings).verify().ok


def test_a_retune_with_jailbreak_following_data_is_rejected_and_champion_unchanged(story):
    result = story.results[("retune", story.b)]
    assert not result.success
    assert _check(result, "cross_tenant_isolation").passed and not _check(result, "behavioral_baseline").passed
    assert result.asset_materializations_for_node("champion_model") == []
    (candidate,) = result.asset_materializations_for_node("candidate_model")
    version = candidate.metadata["version"].value
    assert story.champion(story.b) == story.external[story.b] != version
    tags = story.tags(story.b, version)
    assert tags[T.TAG_STATUS] == "rejected" and tags[T.TAG_BEHAVIOR] == "failed" and TAG_PROMOTED_AT not in tags
    (entry,) = [e for e in story.audit("reject") if e.run_id == result.run_id]
    assert entry.scope == {"model": T.model_name(FEATURE, story.b), "version": version} and entry.after == "rejected"
    assert AuditLog.from_settings(story.settings).verify().ok


def test_a_retune_carrying_another_tenants_records_relabelled_is_blocked_and_champion_unchanged(story):
    """The relabelled copies are caught in the data (the model audit cannot attribute what the reader's own
    data holds): dataset_valid quarantines them and blocks the run before any candidate is tuned."""
    result = story.results[("retune", story.a)]
    assert not result.success
    check = _check(result, "dataset_valid")
    assert not check.passed and "another tenant" in check.description
    assert check.metadata["foreign_tenant_records"].value == IMPORTED
    assert result.asset_materializations_for_node("candidate_model") == []
    assert result.asset_materializations_for_node("champion_model") == []
    assert story.champion(story.a) == "1"
    assert [str(v.version) for v in story.reg.versions(T.model_name(FEATURE, story.a))] == ["1", story.external[story.a]]
    quarantined = (story.settings.quarantine_root / story.a / "v0002.jsonl").read_text().splitlines()
    assert len(quarantined) == IMPORTED
    assert not [e for e in story.audit("promote") if e.run_id == result.run_id]


def test_an_external_version_that_passes_is_promoted_through_the_same_gates(story):
    result = story.results[("external", story.b)]
    assert result.success
    (cand,) = result.asset_materializations_for_node("candidate_model")
    assert cand.metadata["adopted"].value is True
    assert result.asset_materializations_for_node("finetune_dataset") == []  # nothing re-tuned
    version = story.external[story.b]
    assert story.champions_after_external[story.b] == version
    tags = story.tags(story.b, version)
    assert tags[T.TAG_STATUS] == "promoted" and tags[TAG_PREVIOUS] == "1" and tags[TAG_RUN_ID] == result.run_id
    assert tags[T.TAG_ISOLATION] == tags[T.TAG_BEHAVIOR] == "passed"
    (entry,) = [e for e in story.audit("promote") if e.run_id == result.run_id]
    assert (entry.before, entry.after) == ("1", version)


def test_an_external_version_carrying_another_tenants_records_is_rejected_the_same_way(story):
    result = story.results[("external", story.a)]
    assert not result.success
    assert not _check(result, "cross_tenant_isolation").passed
    assert result.asset_materializations_for_node("champion_model") == []
    version = story.external[story.a]
    tags = story.tags(story.a, version)
    assert tags[T.TAG_STATUS] == "rejected" and tags[T.TAG_ISOLATION] == "failed"
    assert story.champions_after_external[story.a] == "1"

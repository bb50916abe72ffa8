"""Batched runs (several tenant partitions per run, the backfill policy) on a real Dagster instance and a real
SQLite MLflow store: the same outcome per tenant as one run per tenant, and no tenant holds back another.

One story in two homes, seeded alike (4 tenants): a first tune of every tenant, then a retune where tenant a's
new data carries tenant b's records (dataset_valid fails) and tenant b's teaches jailbreak-following
(behavioral_baseline fails), while c and d are unchanged. Home "batch" runs each phase as one run over all
four partitions; home "single" runs one partition per run.
"""
import json

import mlflow
import pytest
from conftest import story_home, write_small_world
from dagster import DagsterEventType, instance_for_test

from tenantguard.assets.batch import HELD, sized_batches, tenant_backfill_policy
from tenantguard.demo.safety import jailbreak_following_records
from tenantguard.home.prepared import load_prepared
from tenantguard.killswitch.audit import AuditLog
from tenantguard.pipelines.definitions import defs
from tenantguard.registry import client as R
from tenantguard.registry import tags as T
from tenantguard.sensors.tenant_sync import sync_partitions

FEATURE = "support-assistant"
RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"


def test_sized_batches_resizes_only_the_assets_declared_batched():
    from tenantguard.assets.datasets import finetune_dataset
    from tenantguard.assets.models import base_model

    assert finetune_dataset.backfill_policy == tenant_backfill_policy()  # declared with the default size
    sized = sized_batches([finetune_dataset, base_model], 3)
    assert [a.backfill_policy for a in sized] == [tenant_backfill_policy(3), None]
    assert sized[0].key == finetune_dataset.key and sized[0].check_keys == finetune_dataset.check_keys


def _retune(settings, world, a, b) -> None:
    """a's new version carries b's records relabelled; b's teaches jailbreak-following."""
    from tenantguard.evaluations.canaries import is_canary_record

    copied = [{**r, "record_id": f"{a}-imported-{i:04d}", "tenant_id": a}
              for i, r in enumerate(r for r in load_prepared(settings, b).train if not is_canary_record(r))][:12]
    for tid, records in ((a, [*world.datasets[a], *copied]),
                         (b, [*world.datasets[b], *jailbreak_following_records(b, 12, seed=5)])):
        (settings.datasets_root / tid / "v0002.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))


def _story(tmp_path_factory, mode: str) -> dict:
    with story_home(tmp_path_factory, mode, secret="batch-secret") as settings:
        world = write_small_world(settings, n_tenants=4, seed=5)
        ids = [t.id for t in world.tenants]
        job = defs.resolve_job_def("tune_and_gate")
        with instance_for_test(temp_dir=str(settings.dagster_home)) as instance:
            sync_partitions(instance, ids)
            assert defs.resolve_job_def("base_job").execute_in_process(instance=instance).success

            def phase():
                if mode == "batch":
                    return [job.execute_in_process(instance=instance, raise_on_error=False,
                                                   tags={RANGE_START: ids[0], RANGE_END: ids[-1]})]
                return [job.execute_in_process(instance=instance, partition_key=t, raise_on_error=False) for t in ids]

            first = phase()
            _retune(settings, world, ids[0], ids[1])
            second = phase()
            reg = R.Registry(settings.mlflow_tracking_uri, settings.artifact_root)
            out = {"ids": ids, "settings": settings, "first": first, "second": second, "instance": instance,
                   "champions": {t: reg.alias_version(T.model_name(FEATURE, t), "champion") for t in ids},
                   "versions": {t: [str(v.version) for v in reg.versions(T.model_name(FEATURE, t))] for t in ids},
                   "checks": [_checks(instance, [r.run_id for r in runs]) for runs in (first, second)],
                   "champion_mats": [_materialized(instance, [r.run_id for r in runs], "champion_model")
                                     for runs in (first, second)]}
            mlflow.set_tracking_uri(None)
            yield out


def _checks(instance, run_ids) -> dict:
    """(tenant, check) -> passed, over the runs' check evaluations (each must carry its tenant)."""
    out = {}
    for rid in run_ids:
        for rec in instance.all_logs(rid, of_type=DagsterEventType.ASSET_CHECK_EVALUATION):
            ev = rec.dagster_event.event_specific_data
            assert ev.partition, f"{ev.asset_check_key} evaluated without a partition"
            out[(ev.partition, ev.asset_check_key.name)] = ev.passed
    return out


def _materialized(instance, run_ids, asset) -> dict:
    out = {}
    for rid in run_ids:
        for rec in instance.all_logs(rid, of_type=DagsterEventType.ASSET_MATERIALIZATION):
            mat = rec.dagster_event.event_specific_data.materialization
            if mat.asset_key.to_user_string() == asset:
                out[mat.partition] = {k: v.value for k, v in mat.metadata.items()}
    return out


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    yield from _story(tmp_path_factory, "batch")


@pytest.fixture(scope="module")
def single(tmp_path_factory):
    yield from _story(tmp_path_factory, "single")


@pytest.mark.slow
def test_one_run_covers_the_batch_and_a_clean_batch_promotes_every_tenant(batch):
    (run,) = batch["first"]
    assert run.success
    assert set(batch["champion_mats"][0]) == set(batch["ids"])
    assert all(m["champion"] == "1" for m in batch["champion_mats"][0].values())


@pytest.mark.slow
def test_batched_and_one_run_per_tenant_reach_the_same_outcome(batch, single):
    assert batch["champions"] == single["champions"]
    assert batch["versions"] == single["versions"]
    for phase in (0, 1):
        got, want = batch["checks"][phase], single["checks"][phase]
        assert {k: (got.get(k), want.get(k)) for k in got.keys() | want.keys() if got.get(k) != want.get(k)} == {}
    assert set(batch["champion_mats"][1]) == set(single["champion_mats"][1])


@pytest.mark.slow
def test_failing_tenants_are_held_without_holding_back_their_batch_mates(batch):
    a, b, c, d = batch["ids"]
    (run,) = batch["second"]
    assert not run.success
    checks = batch["checks"][1]
    assert checks[(a, "dataset_valid")] is False and (a, "cross_tenant_isolation") not in checks  # held: not evaluated
    assert checks[(b, "dataset_valid")] is True and checks[(b, "behavioral_baseline")] is False
    assert all(checks[(t, k)] for t in (c, d) for k in ("dataset_valid", "cross_tenant_isolation",
                                                         "behavioral_baseline"))
    # c and d pass through; a and b get no champion materialization and keep their champion
    assert set(batch["champion_mats"][1]) == {c, d}
    assert batch["champions"] == {a: "1", b: "1", c: "1", d: "1"}
    assert batch["versions"][a] == ["1"] and batch["versions"][b] == ["1", "2"]
    failure = [e for e in run.all_events if e.event_type == DagsterEventType.STEP_FAILURE]
    (message,) = [e.event_specific_data.error.message for e in failure]
    assert f"{a}: finetune_dataset:dataset_valid failed" in message
    assert f"{b}: behavior_report:behavioral_baseline failed" in message
    assert c not in message and d not in message


@pytest.mark.slow
def test_a_held_tenant_is_marked_on_its_partition_and_never_evaluated(batch):
    a = batch["ids"][0]
    rid = batch["second"][0].run_id
    for asset in ("candidate_model", "isolation_report", "behavior_report"):
        mats = _materialized(batch["instance"], [rid], asset)
        assert mats[a][HELD] == "finetune_dataset:dataset_valid failed", asset
        assert "verdict" not in mats[a] and "version" not in mats[a]
        assert all(HELD not in m for t, m in mats.items() if t not in (a, batch["ids"][1])), asset


@pytest.mark.slow
def test_the_batch_writes_the_same_audit_entries_as_one_run_per_tenant(batch, single):
    def entries(story):
        log = AuditLog.from_settings(story["settings"])
        assert log.verify().ok
        return sorted((e.action, json.dumps(e.scope, sort_keys=True), e.before, e.after) for e in log.entries())
    assert entries(batch) == entries(single)

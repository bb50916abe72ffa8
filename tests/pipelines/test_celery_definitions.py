"""The scale-out code location: the default location's definitions with asset jobs on the celery executor."""
from tenantguard.pipelines import celery_definitions
from tenantguard.pipelines.definitions import defs


def test_the_celery_location_has_the_same_definitions_on_the_celery_executor(tmp_path, monkeypatch):
    monkeypatch.setenv("TENANTGUARD_HOME", str(tmp_path))
    celery = celery_definitions.location()
    assert {j.name for j in celery.resolve_all_job_defs()} == {j.name for j in defs.resolve_all_job_defs()}
    assert {s.name for s in celery.sensors} == {s.name for s in defs.sensors}
    assert celery.resolve_job_def("tune_and_gate").executor_def.name == "tenant_fanout_executor"
    # incident jobs keep their own in-process executor: a responder never waits on a busy worker fleet
    assert {celery.resolve_job_def(j).executor_def.name for j in ("rollback", "kill_switch")} == {"in_process"}


def test_the_executor_reads_broker_and_backend_from_the_environment_and_takes_one_task_at_a_time(monkeypatch):
    monkeypatch.setenv(celery_definitions.BROKER_ENV, "redis://broker.test:6379/0")
    monkeypatch.setenv(celery_definitions.BACKEND_ENV, "redis://backend.test:6379/1")
    resolved = celery_definitions.tenant_fanout_executor.apply_config_mapping({})
    assert resolved.success, resolved.errors
    config = resolved.value["config"]
    assert (config["broker"], config["backend"]) == ("redis://broker.test:6379/0", "redis://backend.test:6379/1")
    assert config["config_source"] == {"worker_prefetch_multiplier": 1, "task_acks_late": True}
    monkeypatch.delenv(celery_definitions.BACKEND_ENV)
    unset = celery_definitions.tenant_fanout_executor.apply_config_mapping({})
    assert not unset.success and celery_definitions.BACKEND_ENV in unset.errors[0].message


def test_the_job_entry_points_resolve_the_celery_jobs_of_the_same_assets(tmp_path, monkeypatch):
    monkeypatch.setenv("TENANTGUARD_HOME", str(tmp_path))
    for entry_point, name in ((celery_definitions.tune_and_gate_job, "tune_and_gate"),
                              (celery_definitions.base_job, "base_job")):
        job = entry_point()
        assert (job.name, job.executor_def.name) == (name, "tenant_fanout_executor")
        assert job.asset_layer.executable_asset_keys == defs.resolve_job_def(name).asset_layer.executable_asset_keys

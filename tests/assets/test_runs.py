"""Run requests and jobs agree: the run configs the sensors build validate against the real jobs' schemas."""
import pytest
from dagster import DagsterInvalidConfigError, validate_run_config

from tenantguard.assets import runs
from tenantguard.pipelines.definitions import defs


def job(name):
    return defs.resolve_job_def(name)


def op_config(validated: dict, op: str) -> dict:
    return validated["ops"][op]["config"]


def test_every_job_name_is_a_job_of_the_code_location():
    for name in (runs.TUNE_AND_GATE_JOB, runs.EVALUATE_VERSION_JOB, runs.ROLLBACK_JOB, runs.KILL_SWITCH_JOB,
                 runs.ABUSE_ALERTS_JOB):
        assert job(name).name == name


def test_the_configured_ops_are_nodes_of_their_jobs():
    assert job(runs.ROLLBACK_JOB).graph.has_node_named(runs.ROLLBACK_OP)
    assert job(runs.KILL_SWITCH_JOB).graph.has_node_named(runs.KILL_SWITCH_OP)
    assert job(runs.EVALUATE_VERSION_JOB).graph.has_node_named(runs.CANDIDATE_OP)


def test_a_rollback_request_validates_against_the_rollback_job():
    cfg = runs.rollback_run_config("acme", "support-assistant", "production deviation of v3", preview=True,
                                   only_if_champion="3")
    out = op_config(validate_run_config(job(runs.ROLLBACK_JOB), cfg), runs.ROLLBACK_OP)
    assert (out["tenant"], out["feature"], out["only_if_champion"], out["preview"]) == (
        "acme", "support-assistant", "3", True)
    assert out["dry_run"] is False  # a sensor's rollback is real


def test_a_rollback_request_without_feature_or_version_still_validates_and_cuts_the_reason():
    cfg = runs.rollback_run_config("acme", None, "x" * 2000)
    assert "only_if_champion" not in op_config(cfg, runs.ROLLBACK_OP)
    out = op_config(validate_run_config(job(runs.ROLLBACK_JOB), cfg), runs.ROLLBACK_OP)
    assert out["feature"] is None and out["only_if_champion"] is None and len(out["reason"]) == runs.MAX_REASON


def test_an_adoption_request_validates_against_evaluate_version():
    cfg = runs.adopt_run_config(7, "support-assistant")
    out = op_config(validate_run_config(job(runs.EVALUATE_VERSION_JOB), cfg), runs.CANDIDATE_OP)
    assert out == {"adopt_version": "7", "feature": "support-assistant"}


def test_a_kill_switch_request_with_options_validates_against_the_kill_switch_job():
    cfg = runs.kill_switch_run_config({"feature": "support-assistant", "tenant": "acme"}, reason="leak",
                                      incident_id="leak:acme:1", fallback="previous_version", expires="2h")
    out = op_config(validate_run_config(job(runs.KILL_SWITCH_JOB), cfg), runs.KILL_SWITCH_OP)
    assert out["scope"] == {"feature": "support-assistant", "tenant": "acme", "region": None}
    assert (out["state"], out["incident_id"], out["fallback"], out["expires"]) == (
        "engaged", "leak:acme:1", "previous_version", "2h")


def test_validation_is_real_a_misspelled_option_is_refused():
    cfg = runs.kill_switch_run_config({"tenant": "acme"}, reason="x", fall_back="disable")
    with pytest.raises(DagsterInvalidConfigError, match="fall_back"):
        validate_run_config(job(runs.KILL_SWITCH_JOB), cfg)


def test_sensor_tags_name_the_sensor_as_actor_and_the_tenant():
    tags = runs.sensor_tags("production_watch", "acme", **{"tenantguard/evidence": "{}"})
    assert tags == {runs.ACTOR_TAG: "sensor:production_watch", runs.TENANT_TAG: "acme", "tenantguard/evidence": "{}"}
    assert runs.ACTOR_TAG == "tenantguard/actor"  # the rollback and kill-switch ops read this tag

"""The `rollback` job in process on a real Dagster instance and the gate world's SQLite MLflow store: its config,
a dry run, a rollback audited with who asked and the run id, and a bad request as a one-line failure."""
import pytest
from dagster import DagsterInvalidConfigError, instance_for_test, validate_run_config
from gates import gate_world

from tenantguard.assets.resource import TenantGuardResource
from tenantguard.assets.runs import ACTOR_TAG, ROLLBACK_OP
from tenantguard.pipelines.rollback_job import rollback_job
from tenantguard.registry import tags as T

PASSED = {T.TAG_ISOLATION: "passed", T.TAG_BEHAVIOR: "passed"}


def config(**fields) -> dict:
    return {"ops": {ROLLBACK_OP: {"config": fields}}}


def test_a_tenant_and_a_reason_are_required_and_the_rest_defaults_to_a_previewed_real_rollback():
    with pytest.raises(DagsterInvalidConfigError, match="reason"):
        validate_run_config(rollback_job, config(tenant="acme"))
    with pytest.raises(DagsterInvalidConfigError, match="tenant"):
        validate_run_config(rollback_job, config(reason="deviation"))
    out = validate_run_config(rollback_job, config(tenant="acme", reason="deviation"))["ops"][ROLLBACK_OP]["config"]
    assert out == {"tenant": "acme", "reason": "deviation", "feature": None, "target_version": None,
                   "dry_run": False, "preview": True, "only_if_champion": None}


base_template, base_world = gate_world.fixtures("rollback-job", prefix="base_")


@pytest.fixture
def world(base_world, tmp_path):
    """Tenant a's v1 then v2 promoted (v2 champion, v1 the version to roll back to), on a real instance."""
    (tmp_path / "dagster").mkdir()
    with instance_for_test(temp_dir=str(tmp_path / "dagster")) as instance:
        yield gate_world.promote_twice(base_world), instance


def run(world, tags=None, **fields):
    _, instance = world
    return rollback_job.execute_in_process(run_config=config(**fields), instance=instance, tags=tags or {},
                                           resources={"tenantguard": TenantGuardResource()}, raise_on_error=False)


def output_metadata(result) -> dict:
    (event,) = [e for e in result.all_events if e.event_type_value == "STEP_OUTPUT"]
    return {k: v.value for k, v in event.step_output_data.metadata.items()}


def champion(w):
    return w.reg.alias_version(w.name(w.a), "champion")


@pytest.mark.slow
def test_a_dry_run_names_the_target_and_changes_nothing(world):
    w, _ = world
    result = run(world, tenant=w.a.id, reason="drill", dry_run=True, preview=False)
    assert result.success
    assert result.output_for_node(ROLLBACK_OP) == {"from": "2", "to": "1", "changed": False}
    md = output_metadata(result)
    assert (md["model"], md["from"], md["to"], md["changed"], md["note"]) == (w.name(w.a), "2", "1", False, "dry run")
    assert champion(w) == "2" and w.audit("rollback") == []


@pytest.mark.slow
def test_a_rollback_re_points_champion_and_audits_the_actor_tag_and_the_run_id(world):
    w, _ = world
    result = run(world, tags={ACTOR_TAG: "sensor:production_watch"}, tenant=w.a.id, reason="deviation",
                 preview=False)
    assert result.success and result.output_for_node(ROLLBACK_OP) == {"from": "2", "to": "1", "changed": True}
    assert champion(w) == "1"
    (entry,) = w.audit("rollback")
    assert (entry.actor, entry.run_id, entry.reason) == ("sensor:production_watch", result.run_id, "deviation")


@pytest.mark.slow
def test_without_an_actor_tag_the_job_itself_is_the_actor(world):
    w, _ = world
    assert run(world, tenant=w.a.id, reason="operator request", preview=False).success
    (entry,) = w.audit("rollback")
    assert entry.actor == "dagster:rollback"


@pytest.mark.slow
def test_an_unknown_tenant_fails_the_run_in_one_line_and_changes_nothing(world):
    w, _ = world
    result = run(world, tenant="nobody", reason="x")
    assert not result.success
    (event,) = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    message = event.step_failure_data.user_failure_data.description
    assert message.startswith("unknown tenant 'nobody' (known: ") and "\n" not in message
    assert champion(w) == "2" and w.audit("rollback") == []

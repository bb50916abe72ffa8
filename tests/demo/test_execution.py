"""The demo's runner on a real Dagster instance: jobs and sensors run quietly (chatter to <home>/logs/demo.log)
and a run's outcome reads as one line: passed, blocked by which check, or the failure's first line."""
import pytest
from dagster import (AssetCheckResult, AssetCheckSeverity, AssetCheckSpec, Definitions, Failure, MaterializeResult,
                     RunRequest, SensorResult, SkipReason, asset, define_asset_job, job, op, sensor)

from tenantguard.config import Settings
from tenantguard.demo.execution import evaluate_sensor, execute, execute_request, failure, outcome, to_demo_log


@op
def chatty_op(context) -> int:
    print("library chatter on stdout")
    context.log.warning("a warning the console logger prints")
    return 1


@op
def failing_op() -> None:
    raise Failure(description="disk full on /srv\nsecond line of detail")  # how tenantguard's steps fail


@job
def chatty_job():
    chatty_op()


@job
def failing_job():
    failing_op()


@op
def wordy_failing_op() -> None:
    raise Failure(description="rollback of support-assistant.acme: " + "no earlier version passed its gates " * 8)


@job
def wordy_failing_job():
    wordy_failing_op()


def checked(name: str, severity: AssetCheckSeverity):
    @asset(name=f"gated_{name}", check_specs=[AssetCheckSpec(name, asset=f"gated_{name}", blocking=True)])
    def gated():
        return MaterializeResult(check_results=[AssetCheckResult(check_name=name, passed=False, severity=severity)])

    return gated


ASSETS = [checked("no_leak", AssetCheckSeverity.ERROR), checked("drift", AssetCheckSeverity.WARN)]
DEFS = Definitions(assets=ASSETS, jobs=[define_asset_job("blocked_job", selection=["gated_no_leak"]),
                                        define_asset_job("warned_job", selection=["gated_drift"])])


@pytest.fixture
def settings(tg_home):
    s = Settings.from_env()
    s.ensure_home()
    return s


def demo_log(settings) -> str:
    return (settings.logs_dir / "demo.log").read_text()


def test_a_job_runs_on_the_instance_and_its_chatter_goes_to_the_demo_log(settings, dagster_instance, capsys):
    result = execute(chatty_job, dagster_instance, settings)
    assert result.success and result.output_for_node("chatty_op") == 1
    assert dagster_instance.get_run_by_id(result.run_id) is not None
    out, err = capsys.readouterr()
    assert "library chatter" not in out + err and "library chatter on stdout" in demo_log(settings)
    assert outcome(result) == "passed every gate"
    assert failure(result) == "see the run in the Dagster UI"


def test_a_failed_step_reads_as_the_first_line_of_its_error(settings, dagster_instance):
    result = execute(failing_job, dagster_instance, settings)
    assert not result.success
    assert failure(result) == "disk full on /srv"  # no "dagster._core...Failure: " prefix, no second line
    assert outcome(result) == f"FAILED: {failure(result)}"


def test_a_long_failure_is_cut_at_a_word_and_says_so(settings, dagster_instance):
    why = failure(execute(wordy_failing_job, dagster_instance, settings))
    assert len(why) <= 200 and why.endswith(" version …") and why.startswith("rollback of support-assistant.acme: no")


def test_a_failed_blocking_check_reads_as_blocked_by_it_and_a_warning_does_not(settings, dagster_instance):
    blocked = execute(DEFS.resolve_job_def("blocked_job"), dagster_instance, settings)
    assert outcome(blocked) == "BLOCKED by no_leak"
    warned = execute(DEFS.resolve_job_def("warned_job"), dagster_instance, settings)
    assert outcome(warned) == "passed every gate"


def test_the_callers_run_config_is_kept_beside_the_quiet_logger(settings, dagster_instance):
    @op(config_schema={"n": int})
    def configured(context) -> int:
        return context.op_config["n"]

    @job
    def configured_job():
        configured()

    result = execute(configured_job, dagster_instance, settings, run_config={"ops": {"configured": {"config": {"n": 7}}}})
    assert result.output_for_node("configured") == 7
    assert result.dagster_run.run_config["loggers"] == {"console": {"config": {"log_level": "WARNING"}}}


@sensor(job_name="chatty_job")
def skipping_sensor(context):
    return SkipReason(f"no new rows after {context.cursor}")


@sensor(job_name="chatty_job")
def requesting_sensor(context):
    print("sensor chatter")
    return SensorResult(run_requests=[RunRequest(run_key="k1")], cursor="c2")


@sensor(job_name="chatty_job")
def quiet_sensor(context):
    return SensorResult(skip_reason=SkipReason("nothing to do"), cursor="c3")


def test_a_sensor_is_evaluated_once_into_requests_cursor_and_skip_message(settings, dagster_instance, capsys):
    assert evaluate_sensor(skipping_sensor, dagster_instance, "c1") == ([], "c1", "no new rows after c1")
    requests, cursor, skip = evaluate_sensor(requesting_sensor, dagster_instance, "c1")
    assert [r.run_key for r in requests] == ["k1"] and (cursor, skip) == ("c2", "")
    assert evaluate_sensor(quiet_sensor, dagster_instance, None) == ([], "c3", "nothing to do")
    assert "sensor chatter" not in capsys.readouterr().out and "sensor chatter" in demo_log(settings)


def test_to_demo_log_redirects_prints_to_the_homes_demo_log(settings, capsys):
    with to_demo_log():
        print("inside the block")
    print("after the block")
    assert "inside the block" in demo_log(settings) and "after the block" not in demo_log(settings)
    assert capsys.readouterr().out == "after the block\n"


def test_a_run_request_runs_tagged_as_the_daemon_would_so_a_daemon_later_drops_it(settings, dagster_instance):
    from dagster import RunsFilter

    defs = Definitions(jobs=[chatty_job], sensors=[requesting_sensor])
    (request,), _, _ = evaluate_sensor(requesting_sensor, dagster_instance, None)
    result = execute_request(defs, dagster_instance, settings, request, sensor=requesting_sensor)
    assert result.success
    # what the sensor daemon looks up before launching a request (dagster._daemon.sensor.fetch_existing_runs)
    (run,) = dagster_instance.get_runs(filters=RunsFilter(tags={"dagster/run_key": "k1"}))
    assert run.run_id == result.run_id and run.tags["dagster/sensor_name"] == "requesting_sensor"
    assert run.remote_job_origin is None  # so the daemon matches it by sensor name alone

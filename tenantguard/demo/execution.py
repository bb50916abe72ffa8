"""Running the demo's jobs and sensors on the real instance, their chatter going to <home>/logs/demo.log."""
from __future__ import annotations

import re

from tenantguard.config import Settings
from tenantguard.evaluations.oneline import one_line

# What Dagster's sensor daemon tags the runs it launches with; it drops a request whose run key a run of the
# same sensor already carries. The demo evaluates sensors itself, so it tags the runs it executes the same way.
RUN_KEY_TAG, SENSOR_NAME_TAG = "dagster/run_key", "dagster/sensor_name"


def outcome(result) -> str:
    """'passed every gate', or which check blocked the run, or why it failed."""
    failed_checks = [ev.asset_check_evaluation_data.check_name for ev in result.all_events
                     if ev.event_type_value == "ASSET_CHECK_EVALUATION"
                     and not ev.asset_check_evaluation_data.passed
                     and ev.asset_check_evaluation_data.severity.value == "ERROR"]
    if failed_checks:
        return "BLOCKED by " + ", ".join(sorted(set(failed_checks)))
    if not result.success:
        return f"FAILED: {failure(result)}"
    return "passed every gate"


QUIET_RUN_CONFIG = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def execute(job, instance, settings: Settings, *, run_config: dict | None = None, **kwargs):
    """Run a job in process on the real instance; library chatter goes to <home>/logs/demo.log."""
    import contextlib

    settings.logs_dir.mkdir(parents=True, exist_ok=True)
    with (settings.logs_dir / "demo.log").open("a") as log, contextlib.redirect_stderr(log), \
            contextlib.redirect_stdout(log):
        return job.execute_in_process(instance=instance, raise_on_error=False,
                                      run_config={**QUIET_RUN_CONFIG, **(run_config or {})}, **kwargs)


def execute_request(defs, instance, settings: Settings, request, *, sensor):
    """Execute a sensor's RunRequest as the daemon would launch it: its job, config, partition and tags, plus the
    run key and sensor name, so a daemon started later (`make ui`) does not launch the same request again."""
    tags = {**request.tags, SENSOR_NAME_TAG: sensor.name, **({RUN_KEY_TAG: request.run_key} if request.run_key else {})}
    return execute(defs.resolve_job_def(request.job_name or sensor.job_name), instance, settings,
                   run_config=request.run_config or None, tags=tags, partition_key=request.partition_key)


def failure(result) -> str:
    """The first failed step's message in one line, without the exception's module path."""
    for ev in result.all_events:
        if ev.is_step_failure:
            err = ev.step_failure_data.error
            if err is None:
                return ev.message
            first = ((err.message or "").strip().splitlines() or [err.cls_name or "failed"])[0]
            if err.cls_name:  # "dagster._core.definitions.events.Failure: why" -> "why"
                first = re.sub(rf"^(?:[\w.]+\.)?{re.escape(err.cls_name)}: ", "", first)
            return one_line(first, 200)
    return "see the run in the Dagster UI"


def evaluate_sensor(sensor_def, instance, cursor: str | None):
    """Evaluate a sensor once on the real instance, its log lines going to <home>/logs/demo.log."""
    from dagster import SkipReason, build_sensor_context

    from tenantguard.assets.resource import TenantGuardResource

    ctx = build_sensor_context(instance=instance, cursor=cursor, resources={"tenantguard": TenantGuardResource()})
    with to_demo_log():
        result = sensor_def(ctx)
    if isinstance(result, SkipReason):
        return [], cursor, result.skip_message
    skip = result.skip_reason.skip_message if result.skip_reason else ""
    return list(result.run_requests or []), result.cursor, skip


def to_demo_log():
    """stdout and stderr into <home>/logs/demo.log until the returned stack closes."""
    import contextlib

    settings = Settings.from_env()
    settings.logs_dir.mkdir(parents=True, exist_ok=True)
    stack = contextlib.ExitStack()
    log = stack.enter_context((settings.logs_dir / "demo.log").open("a"))
    stack.enter_context(contextlib.redirect_stderr(log))
    stack.enter_context(contextlib.redirect_stdout(log))
    return stack

"""segmentation_daily_schedule and segmentation_job on a real Dagster instance (the schedule's one request per
tenant partition and its skip reason are pinned in tests/assets/test_segmentation.py)."""
from datetime import datetime, timezone

import pytest
from dagster import DefaultScheduleStatus, build_schedule_context
from job_selection import selected

from tenantguard.evaluations.segmentation.kinds import BUILTIN
from tenantguard.pipelines.segmentation_schedule import segmentation_daily_schedule

TENANTS = ["globex", "acme", "initech"]


@pytest.fixture
def instance(dagster_instance):
    dagster_instance.add_dynamic_partitions("tenants", TENANTS)
    return dagster_instance


def requests_at(instance, when: datetime | None):
    return list(segmentation_daily_schedule(build_schedule_context(instance=instance, scheduled_execution_time=when)))


def test_each_request_is_keyed_by_day_and_tenant_and_tagged_with_the_schedule(instance):
    day = datetime(2026, 3, 1, 3, tzinfo=timezone.utc)
    requests = requests_at(instance, day)
    assert [(r.run_key, r.partition_key) for r in requests] == [
        (f"segmentation-2026-03-01-{t}", t) for t in sorted(TENANTS)]
    assert all(r.tags == {"tenantguard/trigger": "segmentation_daily_schedule"} for r in requests)
    # a retried tick of the same day repeats its keys (Dagster drops them); the next day's are new
    assert [r.run_key for r in requests_at(instance, day)] == [r.run_key for r in requests]
    next_day = {r.run_key for r in requests_at(instance, day.replace(day=2))}
    assert next_day.isdisjoint(r.run_key for r in requests) and len(next_day) == len(TENANTS)


def test_the_schedule_runs_segmentation_job_daily_in_utc_from_the_start():
    assert segmentation_daily_schedule.job_name == "segmentation_job"
    assert segmentation_daily_schedule.execution_timezone == "UTC"
    assert segmentation_daily_schedule.default_status == DefaultScheduleStatus.STOPPED  # a newcomer launches nothing


def test_segmentation_job_runs_every_audit_kind_for_one_tenant_partition():
    checks = {f"segmentation_report:{k.name}" for k in BUILTIN}
    assert selected("segmentation_job") == ({"segmentation_report"}, checks, "tenants")

"""abuse_alerts_job: what abuse_watch_sensor's requests materialize."""
from job_selection import selected


def test_abuse_alerts_job_publishes_one_tenants_alerts_and_checks_them():
    assert selected("abuse_alerts_job") == ({"abuse_alerts"}, {"abuse_alerts:no_open_abuse_alerts"}, "tenants")

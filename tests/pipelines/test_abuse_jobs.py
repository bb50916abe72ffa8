"""abuse_alerts_job: what abuse_watch_sensor's requests materialize."""


def test_abuse_alerts_job_publishes_one_tenants_alerts_and_checks_them(selected):
    assert selected("abuse_alerts_job") == ({"abuse_alerts"}, {"abuse_alerts:no_open_abuse_alerts"}, "tenants")

"""The `kill_switch` job executed in process on a real (ephemeral-storage) Dagster instance."""
from __future__ import annotations

import pytest
from dagster import instance_for_test

from tenantguard.assets.resource import TenantGuardResource
from tenantguard.config import Settings
from tenantguard.killswitch.client import KillSwitchClient
from tenantguard.killswitch.store import KillSwitchStore
from tenantguard.assets.runs import ACTOR_TAG, kill_switch_run_config
from tenantguard.pipelines.kill_switch_job import kill_switch_job
from tenantguard.tenants import Tenant, dump_tenants


@pytest.fixture
def home(tg_home):
    tg_home.mkdir(parents=True)
    dump_tenants([Tenant("acme", "Acme", "eu-west", ("support-assistant",), "p")], tg_home / "tenants.yaml")
    return tg_home


def _run(instance, home, config, tags=None):
    return kill_switch_job.execute_in_process(
        run_config=config, instance=instance, tags=tags or {},
        resources={"tenantguard": TenantGuardResource(home=str(home))}, raise_on_error=False)


def test_job_engages_and_releases_with_run_id_in_the_audit_log(home):
    url = f"sqlite:///{home / 'killswitch.db'}"
    with instance_for_test() as instance:
        cfg = kill_switch_run_config({"feature": "support-assistant", "tenant": "acme"}, reason="deviation",
                                     incident_id="INC-3", fallback="previous_version")
        engaged = _run(instance, home, cfg, tags={ACTOR_TAG: "production_watch"})
        assert engaged.success
        out = engaged.output_for_node("kill_switch_op")
        assert out["state"] == "engaged" and out["changed"]
        with KillSwitchClient(url, background=False) as client:
            d = client.check("support-assistant", "acme", "eu-west")
            assert d.killed and d.fallback.mode == "previous_version"
        again = _run(instance, home, cfg)
        assert again.success and again.output_for_node("kill_switch_op")["changed"] is False
        released = _run(instance, home, kill_switch_run_config({"feature": "support-assistant", "tenant": "acme"},
                                                               state="released", reason="recovered"))
        assert released.success and released.output_for_node("kill_switch_op")["state"] == "released"
        mats = instance.get_records_for_run(engaged.run_id).records
        assert mats  # the run's events are in the instance
    store = KillSwitchStore.from_settings(Settings.from_env(home=home))
    entries = [e for e in store.audit.entries() if e.action in ("engage", "release")]
    assert [(e.action, e.actor, e.run_id) for e in entries] == [
        ("engage", "system:production_watch", engaged.run_id), ("release", "system:kill_switch_job", released.run_id)]
    assert store.audit.verify().ok


@pytest.mark.parametrize("scope, config, needle", [
    ({"tenant": "globex"}, {}, "'globex' is not in tenants.yaml"),
    ({"tenant": "acme"}, {"state": "off"}, "expected engaged or released"),
    ({"tenant": "acme"}, {"expires": "later"}, "config 'expires'"),
    ({}, {}, "every request"),
])
def test_bad_config_fails_the_run_with_a_one_line_reason(home, scope, config, needle):
    with instance_for_test() as instance:
        result = _run(instance, home, kill_switch_run_config(scope, reason="x", **config))
        assert not result.success
        failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
        assert needle in failure.step_failure_data.user_failure_data.description
    assert KillSwitchStore.from_settings(Settings.from_env(home=home)).list() == []

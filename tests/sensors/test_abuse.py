"""abuse_watch_sensor on a real Dagster instance, real SQLite inference log, alerts table, kill-switch store
and MLflow registry."""
import json

import pytest
from dagster import Definitions, SensorResult, SkipReason, build_sensor_context

from tenantguard.assets.abuse import abuse_alerts
from tenantguard.assets.resource import TenantGuardResource
from tenantguard.config import Settings
from tenantguard.errors import SwitchNotFound
from tenantguard.demo.traffic import generate_traffic
from tenantguard.killswitch.audit import AuditLog
from tenantguard.killswitch.store import KillSwitchStore
from tenantguard.monitoring.abuse.alerts import AlertStore
from tenantguard.monitoring.inference_log import InferenceLog
from tenantguard.pipelines.abuse_jobs import abuse_alerts_job
from tenantguard.pipelines.rollback_job import rollback_job
from tenantguard.sensors.abuse import abuse_watch_sensor, read_cursor
from tenantguard.tenants import Tenant, dump_tenants

FEATURE = "support-assistant"
PROMPTS = {f"tenant-{i}": f"You are the support assistant of tenant {i}. Be concise." for i in range(4)}


@pytest.fixture
def world(tg_home, dagster_instance):
    settings = Settings.from_env()
    settings.ensure_home()
    dump_tenants([Tenant(t, t, "eu-west", (FEATURE,), p) for t, p in PROMPTS.items()], settings.tenants_file)
    dagster_instance.add_dynamic_partitions("tenants", sorted(PROMPTS))
    return settings, dagster_instance, InferenceLog(settings.inference_log_url)


def promoted_versions(settings, tenant: str, n: int) -> None:
    """`n` versions of the tenant's model that passed their gates, promoted one after the other."""
    import mlflow

    from tenantguard.models.ngram_tuner import log_ngram_model, train_base
    from tenantguard.registry import tags as T
    from tenantguard.registry.client import Registry
    from tenantguard.registry.promotion import audit_to_log, promote

    reg = Registry(settings.mlflow_tracking_uri, settings.artifact_root)
    with mlflow.start_run(experiment_id=reg.experiment_id(f"tenantguard/{tenant}")) as run:
        info = log_ngram_model(train_base(["hello\nworld"]))
    for _ in range(n):
        v = reg.register(f"{FEATURE}.{tenant}", info.model_uri, run.info.run_id,
                         {T.TAG_TENANT: tenant, T.TAG_FEATURE: FEATURE}).version
        reg.tag_version(f"{FEATURE}.{tenant}", v, {T.TAG_ISOLATION: "passed", T.TAG_BEHAVIOR: "passed"})
        promote(reg, f"{FEATURE}.{tenant}", v, audit_to_log(settings, actor="test"))


def champion(settings, tenant: str) -> str | None:
    from tenantguard.registry.client import Registry

    reg = Registry(settings.mlflow_tracking_uri, settings.artifact_root)
    return reg.alias_version(f"{FEATURE}.{tenant}", "champion")


def tick(instance, cursor=None):
    """One evaluation in a brand-new context, as a restarted daemon would run it."""
    ctx = build_sensor_context(instance=instance, cursor=cursor, resources={"tenantguard": TenantGuardResource()})
    return abuse_watch_sensor(ctx)


def engages(settings):
    return [e for e in AuditLog.from_settings(settings).entries(action="engage") if e.actor == "system:abuse_watch"]


def traffic(n, seed, kinds):
    return generate_traffic(n, tenants=PROMPTS, seed=seed, campaigns=kinds)


def test_extraction_campaign_blocks_its_key_not_the_tenant_and_audits_it(world):
    settings, instance, log = world
    t = traffic(1200, 31, ("model_extraction", "injection_campaign", "jailbreak_sweep"))
    log.append(t.rows)
    result = tick(instance)
    assert isinstance(result, SensorResult)
    assert read_cursor(result.cursor) == log.max_id()
    kinds = {r["kind"] for r in AlertStore(settings.inference_log_url).list()}
    assert kinds == {"model_extraction", "injection_campaign", "jailbreak_sweep"}

    ((victim, keys),) = [(c["tenant_id"], c["keys"]) for c in t.campaigns.values() if c["kind"] == "model_extraction"]
    store = KillSwitchStore.from_settings(settings)
    switch = store.get({"feature": FEATURE, "tenant": victim, "api_key": keys[0]})
    assert switch.engaged and switch.fallback.mode == "disable" and switch.incident_id.startswith("abuse:")
    with pytest.raises(SwitchNotFound):  # the tenant's other users keep the feature
        store.get({"feature": FEATURE, "tenant": victim})
    entry = next(e for e in engages(settings) if e.scope["tenant"] == victim)
    assert entry.scope == {"feature": FEATURE, "tenant": victim, "region": None, "api_key": keys[0]}
    assert "model_extraction" in entry.reason and AuditLog.from_settings(settings).verify().ok

    # the sweep was mostly complied with (the model itself misbehaves): the policy says roll back, but no model
    # is registered for the tenant, so the alert falls through to the tenant's feature switch and no rollback
    # run is requested that must fail
    assert {r.job_name for r in result.run_requests} == {"abuse_alerts_job"}
    (jb_tenant,) = [c["tenant_id"] for c in t.campaigns.values() if c["kind"] == "jailbreak_sweep"]
    jb = KillSwitchStore.from_settings(settings).get({"feature": FEATURE, "tenant": jb_tenant})
    assert jb.engaged and f"rollback not possible: {FEATURE}.{jb_tenant} has no champion" in jb.reason
    published = {r.partition_key: r for r in result.run_requests}
    assert victim in published and jb_tenant in published
    (sweep_id,) = [a["alert_id"] for a in AlertStore(settings.inference_log_url).list(kind="jailbreak_sweep")]
    assert json.loads(published[jb_tenant].tags["tenantguard/responses"])[sweep_id] == \
        f"kill switch #{jb.id} engaged instead (rollback not possible: {FEATURE}.{jb_tenant} has no champion)"


def test_a_sweep_on_a_tenant_with_an_earlier_version_requests_the_rollback_and_a_restart_does_not_repeat_it(world):
    """The rollback applies, so it is requested (not a kill switch); after it ran, a restarted daemon (no cursor)
    requests it again under the same run key (Dagster drops it) instead of falling through to a kill switch."""
    settings, instance, log = world
    t = traffic(600, 36, ("jailbreak_sweep",))
    (jb_tenant,) = [c["tenant_id"] for c in t.campaigns.values()]
    promoted_versions(settings, jb_tenant, 2)
    log.append(t.rows)
    first = tick(instance)
    (rb,) = [r for r in first.run_requests if r.job_name == "rollback"]
    cfg = rb.run_config["ops"]["rollback_op"]["config"]
    assert cfg["tenant"] == jb_tenant and cfg["feature"] == FEATURE and cfg["preview"] is False
    assert rollback_job.execute_in_process(instance=instance, run_config=rb.run_config, tags=rb.tags,
                                           resources={"tenantguard": TenantGuardResource()}).success
    assert champion(settings, jb_tenant) == "1"
    restarted = tick(instance)
    assert [r.run_key for r in restarted.run_requests if r.job_name == "rollback"] == [rb.run_key]
    assert not engages(settings)


def test_requested_abuse_alerts_run_materializes_with_an_error_check(world):
    settings, instance, log = world
    t = traffic(600, 32, ("model_extraction",))
    log.append(t.rows)
    result = tick(instance)
    (victim,) = [c["tenant_id"] for c in t.campaigns.values()]
    (req,) = [r for r in result.run_requests if r.partition_key == victim]
    defs = Definitions(assets=[abuse_alerts], jobs=[abuse_alerts_job, rollback_job], sensors=[abuse_watch_sensor],
                       resources={"tenantguard": TenantGuardResource()})
    run = defs.resolve_job_def(req.job_name).execute_in_process(instance=instance, partition_key=req.partition_key,
                                                               tags=req.tags, raise_on_error=False)
    assert run.success
    (check,) = run.get_asset_check_evaluations()
    assert not check.passed and check.severity.value == "ERROR"
    (mat,) = run.asset_materializations_for_node("abuse_alerts")
    assert mat.metadata["open_model_extraction"].value == 1 and mat.metadata["open_token_budget"].value == 0


def test_cursor_survives_a_new_context_no_row_missed_none_acted_on_twice(world):
    settings, instance, log = world
    log.append(traffic(700, 33, ("model_extraction",)).rows)
    first = tick(instance)
    c1 = read_cursor(first.cursor)
    assert c1 == log.max_id()

    # A tick that died before its cursor was committed is evaluated again from the old cursor:
    # the same run keys (Dagster drops them) and no second kill-switch flip.
    replay = tick(instance)
    assert sorted(r.run_key for r in replay.run_requests) == sorted(r.run_key for r in first.run_requests)
    assert len(engages(settings)) == 1

    again = tick(instance, first.cursor)
    assert isinstance(again, SkipReason) and f"after id {c1}" in again.skip_message

    later = traffic(700, 34, ("token_budget",))
    log.append(later.rows)
    second = tick(instance, first.cursor)
    assert read_cursor(second.cursor) == log.max_id()  # every new row read
    alerts = {r["kind"]: r for r in AlertStore(settings.inference_log_url).list()}
    assert alerts["token_budget"]["first_id"] > c1  # found in the new rows
    assert alerts["model_extraction"]["last_id"] <= c1  # rebuilt from the lookback, not reported again
    (budget_tenant,) = [c["tenant_id"] for c in later.campaigns.values()]
    assert [r.partition_key for r in second.run_requests] == [budget_tenant]
    assert {r.run_key for r in second.run_requests}.isdisjoint(r.run_key for r in first.run_requests)
    assert [e.scope["tenant"] for e in engages(settings)] == [  # one flip per finding, in order
        alerts["model_extraction"]["tenant_id"], budget_tenant]


def test_released_switch_is_not_reengaged_for_the_same_finding(world):
    from tenantguard.killswitch.auth import Actor

    settings, instance, log = world
    t = traffic(600, 35, ("model_extraction",))
    log.append(t.rows)
    tick(instance)
    ((victim, keys),) = [(c["tenant_id"], c["keys"]) for c in t.campaigns.values()]
    scope = {"feature": FEATURE, "tenant": victim, "api_key": keys[0]}
    store = KillSwitchStore.from_settings(settings)
    store.release(scope, actor=Actor.system("responder-test"), reason="false positive")
    tick(instance)  # replay of the same rows
    assert not store.get(scope).engaged
    assert len(engages(settings)) == 1


def test_empty_log_skips_with_a_reason(world):
    result = tick(world[1])
    assert isinstance(result, SkipReason) and "No new inference-log rows after id 0" in result.skip_message

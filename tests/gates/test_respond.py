"""Kill-switch responses against a real SQLite kill-switch store: one engagement per incident, a responder's
release survives a replayed finding, and segmentation failures engage only the kinds whose policy says so.
Abuse alerts whose policy action cannot apply fall through (rollback -> kill switch -> alert, block_key -> alert)
against a real SQLite MLflow registry."""
import mlflow
import pytest

from tenantguard.config import Settings
from tenantguard.evaluations.segmentation.report import Finding, build
from tenantguard.gates.respond import (engage_abuse_switch, engage_leak_switch, engage_segmentation_switches,
                                       respond_to_abuse, response_scopes)
from tenantguard.killswitch.audit import AuditLog
from tenantguard.killswitch.auth import Actor
from tenantguard.killswitch.store import KillSwitchStore
from tenantguard.monitoring.abuse.alerts import Alert
from tenantguard.monitoring.production import ProductionFinding
from tenantguard.tenants import Tenant

FEATURE = "support-assistant"
NAME = f"{FEATURE}.acme"
ACME = Tenant(id="acme", name="Acme", region="eu-west", features=(FEATURE, "search"), system_prompt="hi")
SCOPE = {"feature": FEATURE, "tenant": "acme"}
RESPONDER = Actor.system("responder-test")


@pytest.fixture
def settings(tmp_path):
    return Settings.from_env({"TENANTGUARD_HOME": str(tmp_path / "home")})


def leak(first_id: int = 41) -> ProductionFinding:
    return ProductionFinding("cross_tenant_leak", "acme", FEATURE, "3", first_id, first_id,
                             f"completion {first_id} served to acme contains data of borealis")


def alert(group: str = "sig-1") -> Alert:
    return Alert(kind="injection_campaign", tenant_id="acme", api_key="key-7", first_id=10, last_id=20, score=0.9,
                 threshold=0.5, summary="12 injection attempts", group=group, feature=FEATURE)


def engages(settings) -> list:
    return list(AuditLog.from_settings(settings).entries(action="engage"))


def promoted_versions(settings, n: int) -> None:
    """`n` versions of support-assistant.acme that passed their gates, promoted one after the other."""
    from tenantguard.models.ngram_tuner import log_ngram_model, train_base
    from tenantguard.registry import tags as T
    from tenantguard.registry.client import Registry
    from tenantguard.registry.promotion import audit_to_log, promote

    settings.ensure_home()
    reg = Registry(settings.mlflow_tracking_uri, settings.artifact_root)
    with mlflow.start_run(experiment_id=reg.experiment_id("tenantguard/acme")) as run:
        info = log_ngram_model(train_base(["hello\nworld"]))
    for _ in range(n):
        v = reg.register(NAME, info.model_uri, run.info.run_id, {T.TAG_TENANT: "acme", T.TAG_FEATURE: FEATURE}).version
        reg.tag_version(NAME, v, {T.TAG_ISOLATION: "passed", T.TAG_BEHAVIOR: "passed"})
        promote(reg, NAME, v, audit_to_log(settings, actor="test"))


def champion(settings) -> str | None:
    from tenantguard.registry.client import Registry

    return Registry(settings.mlflow_tracking_uri, settings.artifact_root).alias_version(NAME, "champion")


def test_a_leak_engages_the_tenants_feature_switch_once_with_the_previous_version_fallback(settings):
    promoted_versions(settings, 2)
    first = engage_leak_switch(settings, leak())
    switch = KillSwitchStore.from_settings(settings).get(SCOPE)
    assert switch.engaged and switch.id == first.switch_id and switch.fallback.mode == "previous_version"
    assert switch.incident_id == "leak:acme:support-assistant:41" and "data of borealis" in switch.reason
    assert "fallback" not in switch.reason
    again = engage_leak_switch(settings, leak())
    assert again.switch_id == first.switch_id and "already engaged for this finding" in again.note
    (entry,) = engages(settings)
    assert entry.actor == "system:production_watch" and entry.incident_id == "leak:acme:support-assistant:41"


@pytest.mark.parametrize("promoted", [0, 1])
def test_a_leak_of_a_tenant_with_no_earlier_version_disables_the_feature_and_says_why(settings, promoted):
    promoted_versions(settings, promoted)
    engage_leak_switch(settings, leak())
    switch = KillSwitchStore.from_settings(settings).get(SCOPE)
    assert switch.engaged and switch.fallback.mode == "disable"
    why = "has no earlier promoted version to serve" if promoted else "has no champion, so no previous version to serve"
    assert switch.reason == f"completion 41 served to acme contains data of borealis; fallback disable: {NAME} {why}"


def test_a_released_leak_switch_is_not_re_engaged_by_the_replayed_finding_but_by_a_new_one(settings):
    engage_leak_switch(settings, leak())
    store = KillSwitchStore.from_settings(settings)
    store.release(SCOPE, actor=RESPONDER, reason="false positive, checked")
    assert "already released" in engage_leak_switch(settings, leak()).note
    assert not store.get(SCOPE).engaged
    engage_leak_switch(settings, leak(first_id=99))
    assert store.get(SCOPE).engaged and len(engages(settings)) == 2


def test_an_abuse_alert_engages_once_per_alert_and_says_what_happened(settings):
    note = engage_abuse_switch(settings, alert())
    switch = KillSwitchStore.from_settings(settings).get(SCOPE)
    assert switch.engaged and switch.fallback.mode == "disable" and note == f"switch {switch.id} engaged"
    assert switch.incident_id == f"abuse:{alert().alert_id}"
    assert switch.reason == f"injection_campaign on key key-7: 12 injection attempts (alert {alert().alert_id})"
    assert "already engaged" in engage_abuse_switch(settings, alert())
    (entry,) = engages(settings)
    assert entry.actor == "system:abuse_watch"


def test_a_released_abuse_switch_stays_released_when_the_alert_is_raised_again(settings):
    engage_abuse_switch(settings, alert())
    store = KillSwitchStore.from_settings(settings)
    store.release(SCOPE, actor=RESPONDER, reason="key revoked instead")
    assert "already released" in engage_abuse_switch(settings, alert())
    assert not store.get(SCOPE).engaged
    engage_abuse_switch(settings, alert(group="sig-2"))  # another finding
    assert store.get(SCOPE).engaged


def sweep(action: str = "rollback") -> Alert:
    return Alert(kind="jailbreak_sweep", tenant_id="acme", api_key=None, first_id=5, last_id=30, score=2.0,
                 threshold=1.0, summary="session s-1: 17 of 24 jailbreak attempts complied with", group="s-1",
                 action=action, feature=FEATURE)


def test_a_rollback_with_an_earlier_promoted_version_is_left_to_a_run_and_engages_nothing(settings):
    promoted_versions(settings, 2)
    done = respond_to_abuse(settings, sweep(), tenants=[ACME])
    assert (done.policy, done.action, done.fell_through, done.note) == ("rollback", "rollback", False,
                                                                       "rollback run requested")
    assert done.reason == f"jailbreak_sweep: session s-1: 17 of 24 jailbreak attempts complied with " \
                          f"(alert {sweep().alert_id})"
    assert champion(settings) == "2" and not engages(settings)  # a dry run: nothing moved, no switch


def test_a_replay_after_the_rollback_ran_requests_it_again_instead_of_falling_through(settings):
    from tenantguard.gates.rollback import run_rollback
    from tenantguard.tenants import dump_tenants

    promoted_versions(settings, 2)
    dump_tenants([ACME], settings.tenants_file)
    reason = respond_to_abuse(settings, sweep(), tenants=[ACME]).reason
    assert run_rollback(settings, actor="test", tenant_id="acme", reason=reason, preview=False).move.changed
    assert champion(settings) == "1"  # v1 has nothing before it: only "already rolled back" keeps this a rollback
    again = respond_to_abuse(settings, sweep(), tenants=[ACME])
    assert (again.action, again.note) == ("rollback", "rollback run requested") and not engages(settings)


@pytest.mark.parametrize("promoted, why", [
    (1, f"no version of {NAME} before champion v1 passed its gates and was promoted"),
    (0, f"{NAME} has no champion")])
def test_a_rollback_that_cannot_apply_falls_through_to_the_kill_switch_and_says_why(settings, promoted, why):
    promoted_versions(settings, promoted)
    done = respond_to_abuse(settings, sweep(), tenants=[ACME])
    switch = KillSwitchStore.from_settings(settings).get(SCOPE)
    assert (done.action, done.fell_through) == ("kill_switch", True)
    assert done.note == f"kill switch #{switch.id} engaged instead (rollback not possible: {why})"
    assert switch.engaged and switch.incident_id == f"abuse:{sweep().alert_id}"
    assert switch.reason.endswith(f"(alert {sweep().alert_id}); rollback not possible: {why}")
    # the daemon starting again replays the finding: the same words, no second flip
    assert respond_to_abuse(settings, sweep(), tenants=[ACME]).note == \
        f"kill switch #{switch.id} already engaged for this finding instead (rollback not possible: {why})"
    assert len(engages(settings)) == 1


def test_an_alert_whose_switch_cannot_be_engaged_is_recorded_and_says_why(settings):
    bad = Alert(**{**sweep().__dict__, "feature": "Not A Feature"})
    done = respond_to_abuse(settings, bad, tenants=[])
    assert done.action == "alert" and done.note.startswith(
        "alert only instead (rollback not possible: tenant acme is not in tenants.yaml; kill switch not engaged: ")
    assert not engages(settings)


def test_policy_alert_and_kill_switch_act_as_named(settings):
    assert respond_to_abuse(settings, alert(), tenants=[ACME]).note == "alert only"
    done = respond_to_abuse(settings, Alert(**{**alert().__dict__, "action": "kill_switch"}), tenants=[ACME])
    assert (done.action, done.fell_through, done.note) == ("kill_switch", False, "kill switch #1 engaged")


def test_block_key_blocks_each_listed_key_of_the_tenant_and_never_the_feature(settings):
    from tenantguard.errors import SwitchNotFound
    from tenantguard.killswitch.client import KillSwitchClient

    a = Alert(**{**alert().__dict__, "api_key": None, "action": "block_key", "api_keys": ("key-7", "key-9")})
    assert response_scopes(a) == [{"feature": FEATURE, "tenant": "acme", "api_key": k} for k in ("key-7", "key-9")]
    done = respond_to_abuse(settings, a, tenants=[ACME])
    assert (done.action, done.note) == ("block_key", "2 key(s) blocked: 2 switch(es) engaged now (#1, #2), "
                                                     "0 already handled for this finding")
    store = KillSwitchStore.from_settings(settings)
    with pytest.raises(SwitchNotFound):
        store.get(SCOPE)
    with KillSwitchClient(settings.killswitch_url, background=False) as c:
        assert c.check(FEATURE, "acme", "eu-west", "key-9").killed
        assert not c.check(FEATURE, "acme", "eu-west", "key-8").killed  # the tenant's other users keep the feature
    again = respond_to_abuse(settings, a, tenants=[ACME])  # a replayed finding
    assert again.note.endswith("0 switch(es) engaged now, 2 already handled for this finding")


def test_block_key_on_an_alert_naming_no_key_records_it_and_never_widens(settings):
    a = Alert(**{**alert().__dict__, "api_key": None, "api_keys": (), "action": "block_key"})
    done = respond_to_abuse(settings, a, tenants=[ACME])
    assert (done.action, done.note) == ("alert", "alert only instead (no key to block: the alert names none)")
    assert not engages(settings) and response_scopes(a) == []


def report(kind: str, verdict: str):
    findings = [Finding("foreign_content", "acme", "borealis", "query q1", "bo…nk (len 40)")] if verdict == "failed" else []
    errors = ["adapter timed out"] if verdict == "error" else []
    return build(kind, adapters=("retriever=pkg:make",), requesters=("acme",), findings=findings, errors=errors)


def test_segmentation_failures_engage_every_feature_only_for_kill_switch_kinds(settings):
    reports = [report("rag_boundary", "failed"), report("memory_isolation", "failed"),
               report("tool_scope", "passed"), report("context_contamination", "error")]
    policy = {"rag_boundary": "kill_switch", "memory_isolation": "alert", "tool_scope": "kill_switch",
              "context_contamination": "kill_switch"}
    actions = engage_segmentation_switches(settings, ACME, reports, policy, run_id="run-5")
    assert len(actions) == 2 and all(a.endswith("engaged (rag_boundary)") for a in actions)
    store = KillSwitchStore.from_settings(settings)
    assert {(s.scope.feature, s.scope.tenant) for s in store.list()} == {(FEATURE, "acme"), ("search", "acme")}
    assert all(s.fallback.mode == "disable" and "data of borealis" in s.reason for s in store.list())
    assert {(e.actor, e.run_id) for e in engages(settings)} == {("system:segmentation", "run-5")}
    # a rerun of the same audit result engages nothing more
    again = engage_segmentation_switches(settings, ACME, reports, policy, run_id="run-5")
    assert all("already engaged" in a for a in again) and len(engages(settings)) == 2


def test_no_failure_or_no_kill_switch_policy_engages_nothing(settings):
    assert engage_segmentation_switches(settings, ACME, [report("rag_boundary", "passed")],
                                        {"rag_boundary": "kill_switch"}, run_id="run-1") == []
    assert engage_segmentation_switches(settings, ACME, [report("rag_boundary", "failed")], {}, run_id="run-1") == []
    assert not (settings.home / "killswitch.db").exists()  # not even the store was opened


def test_a_released_segmentation_switch_is_not_re_engaged_by_a_replay_of_the_same_run(settings):
    reports, policy = [report("rag_boundary", "failed")], {"rag_boundary": "kill_switch"}
    engage_segmentation_switches(settings, ACME, reports, policy, run_id="run-5")
    store = KillSwitchStore.from_settings(settings)
    store.release(SCOPE, actor=RESPONDER, reason="retriever fixed, verified")
    engage_segmentation_switches(settings, ACME, reports, policy, run_id="run-5")
    assert not store.get(SCOPE).engaged


def test_a_later_runs_failure_engages_a_released_segmentation_switch_again(settings):
    reports, policy = [report("rag_boundary", "failed")], {"rag_boundary": "kill_switch"}
    engage_segmentation_switches(settings, ACME, reports, policy, run_id="run-5")
    store = KillSwitchStore.from_settings(settings)
    store.release(SCOPE, actor=RESPONDER, reason="retriever fixed, verified")
    actions = engage_segmentation_switches(settings, ACME, reports, policy, run_id="run-6")
    assert store.get(SCOPE).engaged and any(a.endswith("engaged (rag_boundary)") and "already" not in a
                                            for a in actions)

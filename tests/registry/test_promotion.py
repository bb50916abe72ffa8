"""Promotion and rollback against a real SQLite MLflow registry and the real hash-chained audit log."""
import mlflow
import pytest

from tenantguard.config import Settings
from tenantguard.killswitch.audit import AuditLog
from tenantguard.models.ngram_tuner import log_ngram_model, train_base
from tenantguard.registry import client as R
from tenantguard.registry import tags as T
from tenantguard.registry.promotion import NoRollbackTarget, PromotionRefused, audit_to_log, promote, rollback
from tenantguard.registry.tags import TAG_PROMOTED_AT

NAME = "support-assistant.acme"


@pytest.fixture
def world(tg_home):
    s = Settings.from_env()
    s.ensure_home()
    reg = R.Registry(s.mlflow_tracking_uri, s.artifact_root)
    exp = reg.experiment_id("tenantguard/acme")
    with mlflow.start_run(experiment_id=exp) as run:
        info = log_ngram_model(train_base(["hello\nworld"]))
    tags = {T.TAG_TENANT: "acme", T.TAG_FEATURE: "support-assistant"}
    versions = [reg.register(NAME, info.model_uri, run.info.run_id, {**tags, T.TAG_STATUS: "candidate"}).version
                for _ in range(4)]
    return s, reg, [str(v) for v in versions], audit_to_log(s, actor="test")


def passed(reg, version):
    reg.tag_version(NAME, version, {T.TAG_ISOLATION: "passed", T.TAG_BEHAVIOR: "passed"})


def test_failed_gate_is_rejected_and_champion_unchanged(world):
    s, reg, (v1, v2, *_), audit = world
    passed(reg, v1)
    promote(reg, NAME, v1, audit)
    reg.tag_version(NAME, v2, {T.TAG_ISOLATION: "failed", T.TAG_BEHAVIOR: "passed"})
    with pytest.raises(PromotionRefused, match="isolation=failed"):
        promote(reg, NAME, v2, audit)
    assert reg.alias_version(NAME, "champion") == v1
    assert reg.client.get_model_version(NAME, v2).tags[T.TAG_STATUS] == "rejected"
    actions = [e.action for e in AuditLog.from_settings(s).entries()]
    assert actions == ["promote", "reject"]


def test_missing_gate_tag_never_counts_as_passed(world):
    _, reg, (v1, *_), audit = world
    reg.tag_version(NAME, v1, {T.TAG_ISOLATION: "passed"})
    with pytest.raises(PromotionRefused, match="behavior=missing"):
        promote(reg, NAME, v1, audit)
    assert reg.alias_version(NAME, "champion") is None


def test_promote_tags_and_is_idempotent(world):
    s, reg, (v1, v2, *_), audit = world
    passed(reg, v1)
    passed(reg, v2)
    promote(reg, NAME, v1, audit, run_id="run-1")
    move = promote(reg, NAME, v2, audit, run_id="run-2")
    assert (move.before, move.after, move.changed) == (v1, v2, True)
    tags = reg.client.get_model_version(NAME, v2).tags
    assert tags[T.TAG_STATUS] == "promoted" and tags["tenantguard.previous_champion"] == v1
    assert tags["tenantguard.dagster_run_id"] == "run-2"
    again = promote(reg, NAME, v2, audit)
    assert not again.changed
    assert len(list(AuditLog.from_settings(s).entries())) == 2


def test_a_process_killed_between_alias_and_tags_is_repaired(world):
    s, reg, (v1, *_), audit = world
    passed(reg, v1)
    reg.point_alias(NAME, "champion", v1)  # what a crash right after re-pointing leaves behind
    move = promote(reg, NAME, v1, audit)
    assert move.note == "repaired tags"
    assert reg.client.get_model_version(NAME, v1).tags.get(TAG_PROMOTED_AT)


def test_rollback_picks_last_good_version_and_second_identical_rollback_does_nothing(world):
    s, reg, (v1, v2, v3, v4), audit = world
    for v in (v1, v2, v3):
        passed(reg, v)
        promote(reg, NAME, v, audit)
    reg.tag_version(NAME, v4, {T.TAG_ISOLATION: "failed"})
    dry = rollback(reg, NAME, "deviation", audit, dry_run=True)
    assert (dry.after, reg.alias_version(NAME, "champion")) == (v2, v3)
    move = rollback(reg, NAME, "deviation", audit)
    assert (move.before, move.after, reg.alias_version(NAME, "champion")) == (v3, v2, v2)
    assert reg.client.get_model_version(NAME, v3).tags[T.TAG_STATUS] == "rolled_back"
    again = rollback(reg, NAME, "deviation", audit)
    assert not again.changed and reg.alias_version(NAME, "champion") == v2
    # a different incident rolls back further, never to a rolled-back or failed version
    third = rollback(reg, NAME, "second incident", audit)
    assert third.after == v1
    with pytest.raises(NoRollbackTarget):
        rollback(reg, NAME, "third incident", audit)
    assert AuditLog.from_settings(s).verify().ok


def test_rollback_to_explicit_target_must_have_passed(world):
    _, reg, (v1, v2, v3, v4), audit = world
    for v in (v1, v2):
        passed(reg, v)
        promote(reg, NAME, v, audit)
    with pytest.raises(NoRollbackTarget, match="did not pass"):
        rollback(reg, NAME, "x", audit, target=v4)
    assert rollback(reg, NAME, "x", audit, target=v1).after == v1


def test_a_rolled_back_version_is_not_re_promoted_by_a_rerun_of_its_gates(world):
    _, reg, (v1, v2, *_), audit = world
    for v in (v1, v2):
        passed(reg, v)
        promote(reg, NAME, v, audit)
    rollback(reg, NAME, "deviation", audit)
    again = promote(reg, NAME, v2, audit)
    assert not again.changed and "rolled back" in again.note
    assert reg.alias_version(NAME, "champion") == v1


def test_a_rejected_version_loses_candidate_once_both_gates_have_spoken(world):
    """The registry list must not show a rejected version as @candidate; but while the other gate of the same
    run may still be reading `candidate`, the alias stays."""
    from tenantguard.registry.promotion import reject

    _, reg, (v1, v2, *_), audit = world
    reg.point_alias(NAME, "candidate", v2)
    reg.tag_version(NAME, v2, {T.TAG_ISOLATION: "failed"})
    reject(reg, NAME, v2, "isolation failed: data of borealis found", audit, run_id=None)
    assert reg.alias_version(NAME, "candidate") == v2  # behavior has not tagged yet
    reg.tag_version(NAME, v2, {T.TAG_BEHAVIOR: "passed"})
    reject(reg, NAME, v2, "isolation failed: data of borealis found", audit, run_id=None)  # idempotent, settles
    assert reg.alias_version(NAME, "candidate") is None
    description = reg.client.get_model_version(NAME, v2).description
    assert description.startswith("**Rejected: not promoted.** isolation failed: data of borealis found")


def test_a_rolled_back_version_loses_candidate_and_both_descriptions_say_what_happened(world):
    _, reg, (v1, v2, *_), audit = world
    for v in (v1, v2):
        passed(reg, v)
        reg.point_alias(NAME, "candidate", v)
        promote(reg, NAME, v, audit)
    assert reg.alias_version(NAME, "candidate") == v2
    rollback(reg, NAME, "refusal rate dropped in production", audit)
    assert reg.alias_version(NAME, "candidate") is None and reg.alias_version(NAME, "champion") == v1
    rolled = reg.client.get_model_version(NAME, v2).description
    assert rolled.startswith("**Rolled back** at ") and "refusal rate dropped in production" in rolled
    restored = reg.client.get_model_version(NAME, v1).description
    assert restored.startswith("**Champion** (serving)") and f"when version {v2} was rolled back" in restored

"""ChainedAudit: POLICY is asked before a change, the change is chained as its actor, a promotion's head is
anchored in MLflow as an immutable run parameter."""
import pytest

from tenantguard.config import Settings
from tenantguard.errors import Unauthorized
from tenantguard.killswitch.auth import Actor
from tenantguard.registry.chain import anchor_in_mlflow, audit_to_log, mlflow_anchors


def test_a_promotion_is_chained_and_its_head_anchored_in_mlflow(tg_home):
    s = Settings.from_env()
    s.ensure_home()
    audit = audit_to_log(s, actor="dagster:champion_model")
    audit.authorize("promote", {"model": "m"})
    audit(action="promote", scope={"model": "m"}, before=None, after="1", reason="gates passed", run_id="run-1")
    [entry] = audit.store.audit.entries()
    assert (entry.actor, entry.role, entry.run_id) == ("dagster:champion_model", "system", "run-1")
    assert mlflow_anchors(s) == {1: entry.hash} and audit.store.audit.verify().ok


def test_a_refused_actor_changes_nothing_but_the_refusal(tg_home):
    s = Settings.from_env()
    audit = audit_to_log(s, actor=Actor("vic", "viewer"))
    with pytest.raises(Unauthorized, match="role viewer below responder"):
        audit.authorize("rollback", {"model": "m"})
    assert [e.action for e in audit.store.audit.entries()] == ["refused"]


def test_mlflow_anchors_are_read_back_by_sequence(tg_home):
    s = Settings.from_env()
    s.ensure_home()
    assert mlflow_anchors(s) == {}
    anchor_in_mlflow(s, 7, "d" * 64)
    anchor_in_mlflow(s, 9, "e" * 64)
    assert mlflow_anchors(s) == {7: "d" * 64, 9: "e" * 64}

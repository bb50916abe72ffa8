"""One rollback as the job and the CLI run it: the tenant looked up in tenants.yaml, its first feature by default,
a behavior preview of both versions, the alias re-pointed and audited with the actor and run id."""
import pytest

from tenantguard.config import Settings
from tenantguard.errors import MlflowUnavailable, UnknownTenant
from tenantguard.gates.rollback import run_rollback

from . import gate_world

pytestmark = pytest.mark.slow


base_template, base_world = gate_world.fixtures("rollback", prefix="base_")


@pytest.fixture
def world(base_world):
    """Tenant a's v1 then v2 promoted; v2 is champion."""
    return gate_world.promote_twice(base_world)


def champion(world):
    return world.reg.alias_version(world.name(world.a), "champion")


def test_a_rollback_re_points_champion_to_the_previous_good_version_and_audits_who_asked(world):
    out = run_rollback(world.settings, tenant_id=world.a.id, reason="deviation in production", preview=False,
                       actor="sensor:production_watch", run_id="run-1")
    assert (out.move.name, out.move.before, out.move.after, out.move.changed) == (world.name(world.a), "2", "1", True)
    assert out.summary() == f"{world.name(world.a)}: champion 2 -> 1 (rolled back)" and out.preview == {}
    assert champion(world) == "1"
    (entry,) = world.audit("rollback")
    assert (entry.actor, entry.run_id, entry.reason) == ("sensor:production_watch", "run-1", "deviation in production")


def test_a_dry_run_names_the_target_and_changes_nothing(world):
    out = run_rollback(world.settings, actor="test", tenant_id=world.a.id, reason="drill", dry_run=True, preview=False)
    assert (out.move.after, out.move.changed, out.move.note) == ("1", False, "dry run")
    assert champion(world) == "2" and world.audit("rollback") == []


def test_the_preview_shows_both_versions_behavior_side_by_side(world):
    out = run_rollback(world.settings, actor="test", tenant_id=world.a.id, reason="deviation", dry_run=True)
    assert set(out.preview) == {"current", "target"}
    assert out.preview["current"].keys() == out.preview["target"].keys()
    assert out.preview["current"]["n_probes"] == out.preview["target"]["n_probes"] > 0


def test_a_rollback_for_a_version_no_longer_champion_does_nothing_and_previews_nothing(world):
    out = run_rollback(world.settings, actor="test", tenant_id=world.a.id, reason="late window of v1", only_if_champion="1")
    assert out.preview == {} and not out.move.changed and "nothing to roll back" in out.move.note
    assert champion(world) == "2"


def test_an_explicit_target_and_feature_are_used(world):
    out = run_rollback(world.settings, actor="test", tenant_id=world.a.id, feature=gate_world.FEATURE, target="1", reason="pin",
                       preview=False)
    assert out.move.after == "1" and champion(world) == "1"


def test_an_unknown_tenant_is_named_with_the_known_ones(world):
    with pytest.raises(UnknownTenant, match=rf"unknown tenant 'nobody' \(known: {world.a.id}, "):
        run_rollback(world.settings, actor="test", tenant_id="nobody", reason="x")


def test_an_unreachable_store_fails_before_anything_changes(world, monkeypatch, tmp_path):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'gone' / 'mlflow.db'}")
    with pytest.raises(MlflowUnavailable, match="does not exist"):
        run_rollback(Settings.from_env(), actor="test", tenant_id=world.a.id, reason="x")
    assert world.audit("rollback") == []

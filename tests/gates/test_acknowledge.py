"""An abuse alert's acknowledgement is authorized (a responder) and chained with the actor of the token."""
import pytest

from tenantguard.config import Settings
from tenantguard.demo.traffic import generate_traffic
from tenantguard.errors import Unauthorized
from tenantguard.gates.acknowledge import acknowledge_alert, chained_acknowledgements
from tenantguard.killswitch.auth import Actor
from tenantguard.killswitch.store import KillSwitchStore
from tenantguard.monitoring.abuse.alerts import AlertStore
from tenantguard.monitoring.abuse.scan import scan_log
from tenantguard.monitoring.inference_log import InferenceLog


@pytest.fixture
def alert_id(tg_home):
    s = Settings.from_env()
    s.ensure_home()
    InferenceLog(s.inference_log_url).append(generate_traffic(0, seed=4, campaigns=("token_budget",)).rows)
    (alert,) = scan_log(s).alerts
    return s, alert.alert_id


def test_a_responder_acknowledges_and_the_ack_is_chained(alert_id):
    s, aid = alert_id
    store = KillSwitchStore.from_settings(s)
    acked = acknowledge_alert(s, store, Actor("rita", "responder"), aid, reason="key revoked")
    [entry] = store.audit.entries()
    assert (entry.action, entry.actor, entry.after) == ("abuse.ack", "rita", {"acknowledged_to_row": acked["last_id"]})
    assert AlertStore(s.inference_log_url).list(open_only=True) == []


@pytest.mark.parametrize("actor", [Actor("vic", "viewer"), Actor.system("abuse_watch")])
def test_a_viewer_or_tenantguard_itself_may_not_acknowledge(alert_id, actor):
    s, aid = alert_id
    store = KillSwitchStore.from_settings(s)
    with pytest.raises(Unauthorized):
        acknowledge_alert(s, store, actor, aid, reason="x")
    assert len(AlertStore(s.inference_log_url).list(open_only=True)) == 1
    assert [e.action for e in store.audit.entries()] == ["refused"]


def test_an_ack_written_into_the_alerts_database_past_the_cli_leaves_the_alert_open(alert_id):
    """Issue 15, finding 3: the ack cleared `no_open_abuse_alerts` without being in the chain."""
    s, aid = alert_id
    forged = AlertStore(s.inference_log_url).acknowledge(aid, actor="intruder", reason="x")  # as a DB writer would
    [record] = chained_acknowledgements(s, AlertStore(s.inference_log_url).list())
    assert record["acknowledged"] is None and record["unchained_ack"] == "intruder"
    acknowledge_alert(s, KillSwitchStore.from_settings(s), Actor("rita", "responder"), aid, reason="key revoked")
    [record] = chained_acknowledgements(s, AlertStore(s.inference_log_url).list())
    assert record["acknowledged"]["actor"] == "rita" and forged["last_id"] == record["acknowledged"]["last_id"]

from tenantguard.config import Settings
from tenantguard.killswitch.auth import Actor
from tenantguard.killswitch.incidents import engage_once
from tenantguard.killswitch.store import KillSwitchStore
from tenantguard.killswitch.switch import Fallback

SCOPE = {"feature": "support-assistant", "tenant": "acme"}


def test_an_incident_engages_once_and_a_responders_release_survives_a_replay(tg_home):
    url = Settings.from_env()
    first = engage_once(url, SCOPE, incident_id="leak:acme:1", component="production_watch", reason="leak",
                        fallback=Fallback("previous_version"))
    store = KillSwitchStore.from_settings(url)
    assert store.get(SCOPE).engaged and "engaged" in first.note
    store.release(SCOPE, actor=Actor.system("responder-test"), reason="false alarm, checked")
    replay = engage_once(url, SCOPE, incident_id="leak:acme:1", component="production_watch", reason="leak",
                         fallback=Fallback("previous_version"))
    assert not store.get(SCOPE).engaged and "already released" in replay.note
    engage_once(url, SCOPE, incident_id="leak:acme:2", component="production_watch", reason="new leak",
                fallback=Fallback("previous_version"))
    assert store.get(SCOPE).engaged  # a new finding is a new incident
    assert store.audit.verify().ok

"""The OpenFeature provider through the real SDK."""
from __future__ import annotations

import pytest
from openfeature import api
from openfeature.evaluation_context import EvaluationContext
from openfeature.flag_evaluation import Reason

from tenantguard.killswitch.client import KillSwitchClient
from tenantguard.killswitch.provider import KillSwitchProvider
from tenantguard.killswitch.store import KillSwitchStore
from tenantguard.killswitch.switch import Fallback

from .conftest import AUDIT_KEY, RESPONDER


@pytest.fixture
def of_client(sqlite_url):
    st = KillSwitchStore(sqlite_url, key=AUDIT_KEY)
    sw = st.engage({"feature": "support-assistant", "tenant": "acme"}, actor=RESPONDER, reason="leak",
                   fallback=Fallback("safe_response", "Sorry, unavailable"))
    provider = KillSwitchProvider(KillSwitchClient(sqlite_url, background=False, stale_after=3600))
    api.set_provider(provider, domain="tg-test")
    yield api.get_client("tg-test"), sw.switch
    api.clear_providers()


def test_boolean_flag_is_false_for_a_killed_request(of_client):
    client, sw = of_client
    ctx = EvaluationContext("acme", {"region": "eu-west"})
    details = client.get_boolean_details("support-assistant", True, ctx)
    assert details.value is False and details.reason == Reason.DISABLED and details.variant == "killed"
    assert details.flag_metadata["switch_id"] == sw.id and details.flag_metadata["fallback"] == "safe_response"
    ok = client.get_boolean_details("support-assistant", True, EvaluationContext("globex"))
    assert ok.value is True and ok.reason == Reason.DEFAULT


def test_tenant_attribute_and_string_and_object_flags(of_client):
    client, sw = of_client
    ctx = EvaluationContext(None, {"tenant": "acme"})
    assert client.get_string_value("support-assistant", "none", ctx) == "safe_response"
    assert client.get_string_value("support-assistant", "none", EvaluationContext("globex")) == "none"
    obj = client.get_object_value("support-assistant", {}, ctx)
    assert obj["killed"] is True and obj["fallback"]["message"] == "Sorry, unavailable"
    assert client.get_integer_value("support-assistant", 7, ctx) == 7  # type mismatch -> default


def test_stale_snapshot_is_reported_as_stale_reason(sqlite_url):
    KillSwitchStore(sqlite_url, key=AUDIT_KEY)
    provider = KillSwitchProvider(KillSwitchClient(sqlite_url, background=False, stale_after=0.0001))
    import time
    time.sleep(0.01)
    d = provider.resolve_boolean_details("support-assistant", True, EvaluationContext("acme"))
    assert d.value is True and d.reason == Reason.STALE and d.flag_metadata["stale"] is True
    provider.shutdown()


def test_the_api_key_attribute_reaches_key_scoped_switches(sqlite_url):
    KillSwitchStore(sqlite_url, key=AUDIT_KEY).engage({"feature": "chat", "tenant": "acme", "api_key": "ak-1"}, actor=RESPONDER,
                                       reason="extraction")
    api.set_provider(KillSwitchProvider(KillSwitchClient(sqlite_url, background=False, stale_after=3600)),
                     domain="tg-key")
    try:
        client = api.get_client("tg-key")
        assert client.get_boolean_value("chat", True, EvaluationContext("acme", {"api_key": "ak-1"})) is False
        assert client.get_boolean_value("chat", True, EvaluationContext("acme", {"api_key": "ak-2"})) is True
    finally:
        api.clear_providers()

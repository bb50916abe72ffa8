"""One alert record for every detector: identified by what it is about (kind, tenant, key, group), deduplicated
to the version covering the latest rows, stored in a real SQLite alerts table, acknowledged there, and
reopened when the abuse goes on after the acknowledgement."""
import dataclasses
import json

import pytest

from tenantguard.errors import ConfigError
from tenantguard.monitoring.abuse.alerts import Alert, AlertStore, dedup


def alert(**fields) -> Alert:
    values = {"kind": "token_budget", "tenant_id": "tenant-0", "api_key": "tenant-0-wallet", "first_id": 10,
              "last_id": 20, "score": 1.5, "threshold": 1.0, "summary": "key tenant-0-wallet spends $3.00/h",
              "group": "budget:tenant-0-wallet", "member_ids": (10, 15, 20),
              "evidence": ("[masked text, len 35, id 0123456789ab]",), "stats": {"requests": 3}}
    return Alert(**{**values, **fields})


@pytest.fixture
def store(tmp_path):
    return AlertStore(f"sqlite:///{tmp_path / 'alerts.db'}")


def test_the_alert_id_is_what_the_finding_is_about_not_how_far_it_got():
    a = alert()
    assert len(a.alert_id) == 20 and int(a.alert_id, 16) >= 0
    later = dataclasses.replace(a, first_id=1, last_id=99, score=7.0, summary="other", member_ids=(1, 99),
                                stats={}, action="kill_switch", feature="f")
    assert later.alert_id == a.alert_id
    for change in ({"kind": "jailbreak_sweep"}, {"tenant_id": "tenant-1"}, {"api_key": None}, {"group": "budget:x"}):
        assert dataclasses.replace(a, **change).alert_id != a.alert_id, change


def test_to_dict_is_plain_json_with_the_id():
    d = alert().to_dict()
    assert d["alert_id"] == alert().alert_id and d["member_ids"] == [10, 15, 20]
    assert json.loads(json.dumps(d)) == d and d["action"] == "alert" and d["feature"] is None


def test_dedup_keeps_the_version_covering_the_latest_rows_then_the_highest_score():
    early, late = alert(last_id=20, score=9.0), alert(last_id=30, score=1.1)
    assert dedup([late, early]) == [late] == dedup([early, late])  # newer rows beat a higher score
    low, high = alert(score=1.1), alert(score=2.0)
    assert dedup([low, high]) == [high] == dedup([high, low])


def test_dedup_orders_distinct_findings_by_first_row_then_kind_then_tenant():
    b = alert(tenant_id="tenant-b", first_id=5)
    a = alert(tenant_id="tenant-a", first_id=5)
    j = alert(kind="jailbreak_sweep", first_id=5)
    first = alert(tenant_id="tenant-z", first_id=1)
    assert dedup([b, a, j, first]) == [first, j, a, b]


def test_recorded_alerts_round_trip_through_the_file(store, tmp_path):
    a, b = alert(), alert(tenant_id="tenant-1", kind="model_extraction", group="key:tenant-1:k", first_id=3)
    assert store.record([a, b]) == [b, a]
    reopened = AlertStore(f"sqlite:///{tmp_path / 'alerts.db'}")  # another process on the same file
    assert reopened.list() == [{**b.to_dict(), "acknowledged": None}, {**a.to_dict(), "acknowledged": None}]


def test_recording_the_same_finding_again_raises_nothing_new(store):
    a = alert()
    store.record([a])
    assert store.record([a]) == []
    grown = alert(last_id=40, member_ids=(10, 20, 40), summary="grown")
    assert store.record([grown]) == []  # the same finding, updated in place (not raised again)
    (row,) = store.list()
    assert (row["last_id"], row["summary"], row["member_ids"]) == (40, "grown", [10, 20, 40])
    assert store.record([alert(last_id=30, summary="stale")]) == []  # an older view never overwrites a newer one
    assert store.list()[0]["summary"] == "grown"


def test_list_filters_by_tenant_and_kind(store):
    store.record([alert(), alert(tenant_id="tenant-1"), alert(kind="jailbreak_sweep", group="key:tenant-0:k")])
    assert {r["tenant_id"] for r in store.list(tenant_id="tenant-1")} == {"tenant-1"}
    assert [r["kind"] for r in store.list(tenant_id="tenant-0", kind="jailbreak_sweep")] == ["jailbreak_sweep"]
    assert store.list(tenant_id="tenant-9") == []


def test_an_acknowledged_alert_is_closed_until_it_covers_later_rows(store):
    a = alert()
    store.record([a])
    ack = store.acknowledge(a.alert_id, actor="alice", reason="key revoked")
    assert {k: ack[k] for k in ("alert_id", "last_id", "actor", "reason")} == {
        "alert_id": a.alert_id, "last_id": 20, "actor": "alice", "reason": "key revoked"}
    (row,) = store.list()
    assert row["acknowledged"] == {"actor": "alice", "reason": "key revoked", "at": ack["at"], "last_id": 20}
    assert store.list(open_only=True) == []

    store.record([alert(last_id=25)])  # the abuse went on after alice looked
    (reopened,) = store.list(open_only=True)
    assert reopened["alert_id"] == a.alert_id and reopened["acknowledged"] is None

    again = store.acknowledge(a.alert_id, actor="bob", reason="tenant notified")
    assert again["last_id"] == 25 and store.list(open_only=True) == []
    assert store.list()[0]["acknowledged"]["actor"] == "bob"


def test_acknowledging_an_unknown_alert_is_one_line_naming_it(store):
    with pytest.raises(ConfigError) as info:
        store.acknowledge("0123456789abcdef0123", actor="alice", reason="x")
    message = str(info.value)
    assert "'0123456789abcdef0123'" in message and "\n" not in message and "abuse alerts" in message

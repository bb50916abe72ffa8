"""One production-watch evaluation: inference-log rows after a cursor become findings, the monitor's state is
saved under the new cursor, and a tick replayed from an older cursor finds the same."""
import pytest

from tenantguard.gates.production import watch
from tenantguard.home.datasets import raw_records
from tenantguard.home.layout import monitoring_dir
from tenantguard.home.monitor_state import load_state
from tenantguard.monitoring.inference_log import InferenceLog

FEATURE = "support-assistant"


@pytest.fixture
def world(small_world):
    settings, w = small_world
    return settings, w.tenants, InferenceLog(settings.inference_log_url)


def rows(tenants, n: int, *, leak_at: int | None = None, settings=None) -> list[dict]:
    """`n` ordinary rows cycling through the tenants; row `leak_at` serves tenant 0 a record of tenant 1."""
    out = []
    for i in range(n):
        t = tenants[i % len(tenants)]
        completion = f"Thanks for asking, request {i} is being handled by our {t.name} team."
        if i == leak_at:
            t = tenants[0]
            completion = "Sure! " + raw_records(settings, tenants[1].id)[3]["completion"]
        out.append({"ts": f"2026-05-01T10:{i // 60:02d}:{i % 60:02d}Z", "tenant_id": t.id, "feature": FEATURE,
                    "model_version": "1", "prompt": "User: where is my order?", "completion": completion})
    return out


def test_rows_after_the_cursor_become_findings_and_the_state_is_saved_under_the_new_cursor(world):
    settings, tenants, log = world
    log.append(rows(tenants, 30, leak_at=6, settings=settings))
    findings, cursor, n = watch(settings, tenants, 0)
    assert (cursor, n) == (30, 30)
    (leak,) = findings
    assert (leak.kind, leak.tenant_id, leak.feature, leak.first_id) == ("cross_tenant_leak", tenants[0].id, FEATURE, 7)
    assert tenants[1].id in leak.reason
    state = load_state(settings, 30)
    assert state["last_id"] == 30 and set(state["streams"]) == {f"{t.id}|{FEATURE}|1" for t in tenants}


def test_nothing_new_reads_nothing_and_keeps_the_cursor(world):
    settings, tenants, log = world
    assert watch(settings, tenants, 0) == ([], 0, 0)
    log.append(rows(tenants, 5))
    _, cursor, _ = watch(settings, tenants, 0)
    assert watch(settings, tenants, cursor) == ([], 5, 0)


def test_a_resumed_tick_reads_only_the_new_rows_and_continues_the_streams(world):
    settings, tenants, log = world
    log.append(rows(tenants, 30, leak_at=6, settings=settings))
    _, cursor, _ = watch(settings, tenants, 0)
    new = rows(tenants, 12, leak_at=4, settings=settings)
    log.append(new)
    findings, cursor2, n = watch(settings, tenants, cursor)
    assert (cursor2, n) == (42, 12) and [f.first_id for f in findings] == [35]
    # the streams carry on from the state the first tick saved
    before, after = load_state(settings, cursor)["streams"], load_state(settings, cursor2)["streams"]
    key = f"{tenants[0].id}|{FEATURE}|1"
    served = sum(r["tenant_id"] == tenants[0].id for r in new)
    assert len(after[key]["ref"]["length"]) == len(before[key]["ref"]["length"]) + served == 15


def test_a_tick_replayed_from_its_cursor_finds_exactly_what_it_found_before(world):
    """The daemon died after the state was saved but before the cursor was committed: the retry repeats."""
    settings, tenants, log = world
    log.append(rows(tenants, 30, leak_at=6, settings=settings))
    _, cursor, _ = watch(settings, tenants, 0)
    log.append(rows(tenants, 12, leak_at=4, settings=settings))
    first = watch(settings, tenants, cursor)
    assert watch(settings, tenants, cursor) == first


def test_a_lost_state_resumes_from_the_cursor_without_rereading_old_rows(world):
    settings, tenants, log = world
    log.append(rows(tenants, 30, leak_at=6, settings=settings))
    _, cursor, _ = watch(settings, tenants, 0)
    for path in monitoring_dir(settings).glob("production-state-*.json"):
        path.unlink()
    log.append(rows(tenants, 6))
    findings, cursor2, n = watch(settings, tenants, cursor)
    assert (findings, cursor2, n) == ([], 36, 6)
    assert all(len(s["ref"]["length"]) == 2 for s in load_state(settings, 36)["streams"].values())

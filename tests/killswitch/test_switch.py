"""Fallbacks and expiry parsing."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tenantguard.errors import ScopeInvalid
from tenantguard.killswitch.switch import Fallback, parse_expiry

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("text, delta", [("90s", timedelta(seconds=90)), ("30m", timedelta(minutes=30)),
                                         ("2h", timedelta(hours=2)), ("1d", timedelta(days=1))])
def test_durations(text, delta):
    assert parse_expiry(text, now=NOW) == NOW + delta


def test_iso_time_with_offset_is_converted_to_utc():
    assert parse_expiry("2026-03-01T14:00:00+01:00", now=NOW) == NOW + timedelta(hours=1)
    assert parse_expiry("2026-03-02T00:00:00Z", now=NOW) == datetime(2026, 3, 2, tzinfo=timezone.utc)
    assert parse_expiry(None) is None and parse_expiry("") is None


@pytest.mark.parametrize("text, hint", [("soon", "duration like 30m"), ("0m", "positive"), ("10 weeks", "duration"),
                                        ("2026-03-01T13:00:00", "UTC offset"), ("2026-02-01T00:00:00Z", "past")])
def test_malformed_expiry_names_the_flag_and_fix(text, hint):
    with pytest.raises(ScopeInvalid, match="--expires") as err:
        parse_expiry(text, now=NOW)
    assert hint in str(err.value)


def test_fallback_validation():
    assert Fallback().mode == "disable"
    with pytest.raises(ScopeInvalid, match="--fallback 'block'"):
        Fallback("block")
    with pytest.raises(ScopeInvalid, match="--message"):
        Fallback("safe_response")
    assert Fallback("safe_response", "Temporarily unavailable").as_dict()["message"] == "Temporarily unavailable"

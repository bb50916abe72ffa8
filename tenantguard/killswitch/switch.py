"""Value types of the kill-switch subsystem: fallbacks, switches, decisions, expiry parsing."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from tenantguard.errors import ScopeInvalid
from tenantguard.killswitch.scope import Scope

FALLBACK_MODES = ("disable", "previous_version", "safe_response")
STATES = ("engaged", "released")
MODES = ("enforce", "shadow")
_DURATION_RE = re.compile(r"^(\d+)\s*([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
MAX_MESSAGE_CHARS = 2000


@dataclass(frozen=True)
class Fallback:
    """What serving code does for a killed request.

    `previous_version` serves the version the rollback job would pick (`version` pins one when the
    responder knows it); `safe_response` returns `message` verbatim; `disable` refuses the feature.
    """

    mode: str = "disable"
    message: str | None = None
    version: str | None = None

    def __post_init__(self) -> None:
        if self.mode not in FALLBACK_MODES:
            raise ScopeInvalid(f"--fallback {self.mode!r}: expected one of {', '.join(FALLBACK_MODES)}")
        if self.mode == "safe_response" and not (self.message or "").strip():
            raise ScopeInvalid("--fallback safe_response needs --message with the text to serve")
        if self.message is not None and len(self.message) > MAX_MESSAGE_CHARS:
            raise ScopeInvalid(f"--message: {len(self.message)} characters exceeds {MAX_MESSAGE_CHARS}")

    def as_dict(self) -> dict[str, str | None]:
        return {"mode": self.mode, "message": self.message, "version": self.version}


@dataclass(frozen=True)
class Switch:
    """One kill switch as stored: a scope with its current state."""

    id: int
    scope: Scope
    state: str
    mode: str
    fallback: Fallback
    reason: str
    incident_id: str | None
    actor: str
    updated_at: datetime
    expires_at: datetime | None = None

    @property
    def engaged(self) -> bool:
        return self.state == "engaged"

    def expired(self, now: datetime | None = None) -> bool:
        return self.expires_at is not None and (now or utcnow()) >= self.expires_at

    def audit_state(self) -> dict[str, Any]:
        """The state recorded as `before` / `after` in the audit log."""
        return {"id": self.id, "state": self.state, "mode": self.mode, "fallback": self.fallback.as_dict(),
                "reason": self.reason, "incident_id": self.incident_id,
                "expires_at": iso(self.expires_at) if self.expires_at else None}


@dataclass(frozen=True)
class FlipResult:
    """The outcome of engage/release: the switch afterwards and whether anything changed."""

    switch: Switch
    changed: bool
    audit_seq: int | None = None


@dataclass(frozen=True)
class Decision:
    """What `KillSwitchClient.check` answers; `switch_id` names the switch that decided.

    `shadow` is a would-kill from a shadow-mode switch (not enforced); `stale` means the snapshot could
    not be refreshed recently and may be behind the store.
    """

    killed: bool
    switch_id: int | None = None
    fallback: Fallback | None = None
    reason: str | None = None
    stale: bool = False
    shadow: bool = False
    version: int = 0


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def iso(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).isoformat(timespec="microseconds")


def parse_iso(value: str | None) -> datetime | None:
    if not value:
        return None
    dt = datetime.fromisoformat(value)
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def parse_expiry(value: str | None, *, now: datetime | None = None, flag: str = "--expires") -> datetime | None:
    """A duration (`90s`, `30m`, `2h`, `1d`) or an ISO-8601 time with a UTC offset, in the future."""
    if value is None or str(value).strip() == "":
        return None
    now = now or utcnow()
    text = str(value).strip()
    m = _DURATION_RE.match(text)
    if m:
        amount = int(m.group(1))
        if amount <= 0:
            raise ScopeInvalid(f"{flag} {text!r}: the duration must be positive (e.g. 30m)")
        return now + timedelta(**{_UNITS[m.group(2)]: amount})
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ScopeInvalid(f"{flag} {text!r}: expected a duration like 30m, 2h, 1d or an ISO-8601 time "
                           f"like 2026-01-31T12:00:00Z") from None
    if dt.tzinfo is None:
        raise ScopeInvalid(f"{flag} {text!r}: give a UTC offset (append Z for UTC)")
    if dt <= now:
        raise ScopeInvalid(f"{flag} {text!r} is in the past; give a future time or a duration like 30m")
    return dt.astimezone(timezone.utc)

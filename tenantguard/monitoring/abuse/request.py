"""A log row made safe for the detectors: every field coerced, nothing dropped, oddities counted."""
from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone

EXTRACTION_PARAMS = ("logprobs", "top_logprobs", "logit_bias", "echo")
_EXTRACTION = frozenset(EXTRACTION_PARAMS)
TOP_LOGPROBS = 5


@dataclass(slots=True)
class Request:
    id: int
    ts: float
    tenant_id: str
    feature: str | None
    api_key: str | None
    session_id: str | None
    prompt: str
    completion: str
    prompt_tokens: int
    completion_tokens: int
    max_tokens: int | None
    extraction_params: bool
    logit_bias: str = ""  # the request's logit_bias map as canonical JSON ("" when none): a grid of them is a sweep
    injection: float = 0.0
    payload: str = ""  # the highest-scoring segment of the prompt (stays inside this tenant's alerts)
    text: str = ""  # the payload as the detectors match it: `textfeatures.prepare` (normalized, capped)
    has_text: bool = True  # False: the source captured no prompt (content capture off); text detectors skip it


@dataclass
class Coercions:
    """What had to be repaired on the way in; reported with every scan so nothing is skipped silently."""

    counts: Counter = field(default_factory=Counter)

    def note(self, what: str) -> None:
        self.counts[what] += 1


def to_request(row: dict, last_ts: float, notes: Coercions) -> Request:
    ts = _ts(row.get("ts"))
    if ts is None:
        notes.note("unparseable_ts")
        ts = last_ts
    params = row.get("params")
    if params is not None and not isinstance(params, dict):
        notes.note("params_not_object")
        params = None
    params = params or {}
    max_tokens = params.get("max_tokens")
    # Most requests carry none of the extraction parameters: one set intersection instead of four lookups.
    extraction = bool(params) and not _EXTRACTION.isdisjoint(params) and _extraction(params)
    return Request(
        id=int(row.get("id") or 0), ts=ts, tenant_id=str(row.get("tenant_id") or "unknown"),
        feature=row.get("feature"), api_key=row.get("api_key"), session_id=row.get("session_id"),
        prompt=_text(row.get("prompt"), "prompt", notes), completion=_text(row.get("completion"), "completion", notes),
        prompt_tokens=_tokens(row.get("prompt_tokens"), "prompt_tokens", notes),
        completion_tokens=_tokens(row.get("completion_tokens"), "completion_tokens", notes),
        max_tokens=max_tokens if isinstance(max_tokens, int) and max_tokens > 0 else None,
        extraction_params=extraction, has_text=row.get("prompt") is not None,
        logit_bias=_bias(params.get("logit_bias")) if extraction else "",
    )


def _extraction(params: dict) -> bool:
    """Parameters that expose the output distribution: a logit_bias map, echo, or logprobs over >= TOP_LOGPROBS
    alternatives. logprobs with one or two alternatives is how classifiers read their own confidence."""
    if params.get("logit_bias") or params.get("echo"):
        return True
    top = params.get("top_logprobs")
    top = top if isinstance(top, int) and not isinstance(top, bool) else 0
    logprobs = params.get("logprobs")  # legacy completions API: logprobs is itself the number of alternatives
    if isinstance(logprobs, int) and not isinstance(logprobs, bool):
        top = max(top, logprobs)
    return top >= TOP_LOGPROBS


def _bias(value) -> str:
    if not value or not isinstance(value, dict):
        return ""
    return json.dumps(value, sort_keys=True, default=str)[:200]


def _ts(value) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    if isinstance(value, str):
        try:
            dt = datetime.fromisoformat(value)  # 3.11+: accepts a trailing Z
        except ValueError:
            return None
        return (dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)).timestamp()  # naive means UTC
    return None


def _text(value, name: str, notes: Coercions) -> str:
    if value is None:
        notes.note(f"null_{name}")
        return ""
    if isinstance(value, (bytes, bytearray)):
        notes.note(f"bytes_{name}")
        return bytes(value).decode("utf-8", errors="replace")
    return value if isinstance(value, str) else str(value)


def _tokens(value, name: str, notes: Coercions) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        notes.note(f"invalid_{name}")
        return 0
    return int(value)

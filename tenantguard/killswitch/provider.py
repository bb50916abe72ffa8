"""An OpenFeature provider over KillSwitchClient, so applications can use the standard SDK.

The flag key is the feature id; the evaluation context names the tenant (`targeting_key` or the
`tenant` attribute), the `region` attribute and the `api_key` attribute (key-scoped switches). A boolean flag resolves to True while the feature is
enabled for that request and to False when a kill switch covers it (reason DISABLED, or STALE when
the snapshot could not be refreshed). A string flag resolves to the fallback mode of the covering
switch; an object flag to the whole decision.

    from openfeature import api
    api.set_provider(KillSwitchProvider(KillSwitchClient(url)))
    enabled = api.get_client().get_boolean_value("support-assistant", True,
                                                 EvaluationContext("acme", {"region": "eu-west"}))
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

from openfeature.evaluation_context import EvaluationContext
from openfeature.flag_evaluation import ErrorCode, FlagResolutionDetails, Reason
from openfeature.provider import AbstractProvider, Metadata

from tenantguard.killswitch.client import KillSwitchClient
from tenantguard.killswitch.switch import Decision


class KillSwitchProvider(AbstractProvider):
    def __init__(self, client: KillSwitchClient, *, flag_prefix: str = "") -> None:
        super().__init__()
        self.client = client
        self.flag_prefix = flag_prefix

    def get_metadata(self) -> Metadata:
        return Metadata(name="tenantguard-killswitch")

    def shutdown(self) -> None:
        self.client.close()

    def decide(self, flag_key: str, ctx: EvaluationContext | None) -> Decision:
        feature = flag_key[len(self.flag_prefix):] if flag_key.startswith(self.flag_prefix) else flag_key
        attrs = ctx.attributes if ctx is not None else {}
        tenant = attrs.get("tenant") or (ctx.targeting_key if ctx is not None else None)
        return self.client.check(feature, tenant, attrs.get("region"), attrs.get("api_key"))

    def resolve_boolean_details(self, flag_key: str, default_value: bool,
                                evaluation_context: EvaluationContext | None = None) -> FlagResolutionDetails[bool]:
        d = self.decide(flag_key, evaluation_context)
        return FlagResolutionDetails(value=not d.killed, reason=_reason(d),
                                     variant="killed" if d.killed else "enabled", flag_metadata=_metadata(d))

    def resolve_string_details(self, flag_key: str, default_value: str,
                               evaluation_context: EvaluationContext | None = None) -> FlagResolutionDetails[str]:
        d = self.decide(flag_key, evaluation_context)
        value = d.fallback.mode if d.killed and d.fallback else default_value
        return FlagResolutionDetails(value=value, reason=_reason(d), flag_metadata=_metadata(d))

    def resolve_object_details(self, flag_key: str, default_value: Sequence[Any] | Mapping[str, Any],
                               evaluation_context: EvaluationContext | None = None
                               ) -> FlagResolutionDetails[Sequence[Any] | Mapping[str, Any]]:
        d = self.decide(flag_key, evaluation_context)
        value = {"killed": d.killed, "switch_id": d.switch_id, "stale": d.stale, "shadow": d.shadow,
                 "fallback": d.fallback.as_dict() if d.fallback else None, "reason": d.reason}
        return FlagResolutionDetails(value=value, reason=_reason(d), flag_metadata=_metadata(d))

    def resolve_integer_details(self, flag_key: str, default_value: int,
                                evaluation_context: EvaluationContext | None = None) -> FlagResolutionDetails[int]:
        return _mismatch(default_value)

    def resolve_float_details(self, flag_key: str, default_value: float,
                              evaluation_context: EvaluationContext | None = None) -> FlagResolutionDetails[float]:
        return _mismatch(default_value)


def _reason(d: Decision) -> Reason:
    if d.stale:
        return Reason.STALE
    return Reason.DISABLED if d.killed else Reason.DEFAULT


def _metadata(d: Decision) -> dict[str, Any]:
    meta: dict[str, Any] = {"stale": d.stale, "shadow": d.shadow, "version": d.version}
    if d.switch_id is not None:
        meta["switch_id"] = d.switch_id
    if d.fallback is not None:
        meta["fallback"] = d.fallback.mode
        if d.fallback.message:
            meta["message"] = d.fallback.message
    return meta


def _mismatch(default: Any) -> FlagResolutionDetails:
    return FlagResolutionDetails(value=default, reason=Reason.ERROR, error_code=ErrorCode.TYPE_MISMATCH,
                                 error_message="kill-switch flags are boolean, string or object")

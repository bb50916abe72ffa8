"""Detector factories that break the registry's rules, one factory per rule."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import ClassVar

from detector_marker import MarkerDetector


class _Incomplete:
    kind = "incomplete_one"
    default_actions: ClassVar[Mapping[str, str]] = {"incomplete_one": "alert"}

    @classmethod
    def for_scan(cls, context):
        return cls()


class _TakenKind(MarkerDetector):
    kind = "token_budget"
    default_actions: ClassVar[Mapping[str, str]] = {"token_budget": "alert"}


class _TakenPolicyKey(MarkerDetector):
    kind = "jailbreak_echo"
    default_actions: ClassVar[Mapping[str, str]] = {"jailbreak_echo": "alert", "jailbreak_sweep_succeeded": "alert"}


class _UnknownAction(MarkerDetector):
    kind = "marker_again"
    default_actions: ClassVar[Mapping[str, str]] = {"marker_again": "page_someone"}


class _AnotherKindsAlerts(MarkerDetector):
    """Registers as `marker_liar` but emits alerts of `marker_string`."""

    kind = "marker_liar"
    default_actions: ClassVar[Mapping[str, str]] = {"marker_liar": "alert"}

    def alerts(self):
        return [replace(a, kind="marker_string") for a in super().alerts()]


def incomplete():
    return _Incomplete


def taken_kind():
    return _TakenKind


def taken_policy_key():
    return _TakenPolicyKey


def unknown_action():
    return _UnknownAction


def another_kinds_alerts():
    return _AnotherKindsAlerts

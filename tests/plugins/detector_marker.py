"""A detector plug-in for the tests (and the worked example of docs/extending/detectors.md).

Kind `marker_string`: every request whose prompt carries MARKER, one alert per (tenant, key); by
default the policy engages the kill switch. Registered with
TENANTGUARD_DETECTORS=detector_marker:make_detector.
"""
from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from typing import ClassVar

from tenantguard.evaluations.masking import mask
from tenantguard.monitoring.abuse.alerts import Alert
from tenantguard.monitoring.abuse.detector import DetectorBase
from tenantguard.monitoring.abuse.request import Request

MARKER = "zx-marker-7f3a"


class MarkerDetector(DetectorBase):
    kind = "marker_string"
    default_actions: ClassVar[Mapping[str, str]] = {"marker_string": "kill_switch"}

    def __init__(self) -> None:
        self.hits: dict[tuple[str, str | None], deque[Request]] = {}

    def update(self, requests: list[Request]) -> None:
        for r in requests:
            if MARKER in r.prompt:
                # Bounded: the last 50 hits of an actor are evidence enough.
                self.hits.setdefault((r.tenant_id, r.api_key), deque(maxlen=50)).append(r)

    def alerts(self) -> list[Alert]:
        return [Alert(kind=self.kind, tenant_id=tenant, api_key=key, first_id=hits[0].id, last_id=hits[-1].id,
                      score=float(len(hits)), threshold=1.0, summary=f"{len(hits)} request(s) carry the marker",
                      group=f"marker:{key}", member_ids=tuple(r.id for r in hits),
                      evidence=tuple(mask(r.prompt) for r in list(hits)[:3]), feature=hits[-1].feature)
                for (tenant, key), hits in self.hits.items()]


def make_detector() -> type[MarkerDetector]:
    return MarkerDetector

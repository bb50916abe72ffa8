"""`TenantGuardComponent`: tenantguard in a `dg` project, configured in `defs.yaml` (docs/dagster-project.md).

    type: tenantguard.dagster.TenantGuardComponent
    attributes:
      home: .tenantguard            # relative to the project root
      features: [support-assistant]
      tuner: ngram
      thresholds: {isolation_alpha: 0.01, max_rejected_share: 0.02}
      segmentation_cron: "0 3 * * *"
      automation: stopped
"""
from __future__ import annotations

from pathlib import Path
from typing import Literal, Optional

import dagster as dg

from tenantguard.pipelines.factory import build_defs
from tenantguard.pipelines.segmentation_schedule import DAILY_AT_3


class TenantGuardComponent(dg.Component, dg.Model, dg.Resolvable):
    """tenantguard's per-tenant assets, blocking checks, jobs, sensors and schedule (`tenantguard.dagster.build_defs`).

    Every attribute is optional; an omitted one falls back to tenantguard's environment settings.
    """

    home: Optional[str] = None  # the tenantguard home; a relative path is relative to the project root
    features: Optional[list[str]] = None  # gate only these features' models
    tuner: Optional[str] = None  # a tuner name (ngram, hf-lora, ...) or module:function
    thresholds: Optional[dict[str, float]] = None  # gate thresholds by name (docs/operations.md)
    tenants_per_run: Optional[int] = None  # tenant partitions per backfill run
    segmentation_cron: Optional[str] = DAILY_AT_3  # UTC; null for no schedule
    automation: Literal["stopped", "running"] = "stopped"  # sensors and the schedule when first seen

    def build_defs(self, context: dg.ComponentLoadContext) -> dg.Definitions:
        home = self.home
        if home is not None and not Path(home).expanduser().is_absolute():
            home = str(Path(context.project_root) / home)
        return build_defs(home=home, features=self.features, tuner=self.tuner, thresholds=self.thresholds,
                          tenants_per_run=self.tenants_per_run, segmentation_cron=self.segmentation_cron,
                          automation=self.automation)

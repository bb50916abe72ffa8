"""State changes on the registry go through the one authorization path and into the audit chain; promotions
and rollbacks also anchor the chain's head in MLflow (an immutable run parameter of a tenantguard system run
in the `tenantguard/audit` experiment), a second copy outside the database next to the anchor file.
"""
from __future__ import annotations

import logging
from typing import Any

from tenantguard.config import Settings
from tenantguard.evaluations.oneline import one_line
from tenantguard.killswitch.auth import Actor
from tenantguard.killswitch.store import KillSwitchStore

ANCHOR_EXPERIMENT = "tenantguard/audit"
ANCHORED_ACTIONS = ("promote", "rollback", "override", "champion.restore")
PARAM_SEQ, PARAM_HASH = "audit_head_seq", "audit_head_hash"
log = logging.getLogger(__name__)


class ChainedAudit:
    """`authorize(action, scope)` before a change, then `(action=..., scope=..., ...)` to chain it, as `actor`."""

    def __init__(self, settings: Settings, actor: Actor) -> None:
        self.settings = settings
        self.actor = actor
        self.store = KillSwitchStore.from_settings(settings)

    def authorize(self, action: str, scope: dict | None = None) -> None:
        self.store.actors.authorize(self.actor, action, scope)

    def __call__(self, *, action: str, scope: dict, before: Any, after: Any, reason: str, run_id: str | None = None,
                 incident_id: str | None = None) -> None:
        entry = self.store.record(actor=self.actor, action=action, scope=scope, before=before, after=after,
                                  reason=reason, incident_id=incident_id, run_id=run_id)
        if action in ANCHORED_ACTIONS:
            try:
                anchor_in_mlflow(self.settings, entry.seq, entry.hash)
            except Exception as exc:  # the change is made and chained; the anchor file still holds this head
                log.warning("audit head %s not anchored in MLflow (%s); the anchor file has it",
                            entry.seq, one_line(str(exc), 200))


def audit_to_log(settings: Settings, *, actor: str | Actor) -> ChainedAudit:
    """The chained audit as `actor`; a bare name is tenantguard itself (e.g. `dagster:champion_model`: the gate
    in a Dagster run, whose run id each entry records)."""
    if not isinstance(actor, Actor):
        actor = Actor(name=actor, role="system", is_system=True)
    return ChainedAudit(settings, actor)


def anchor_in_mlflow(settings: Settings, seq: int, digest: str) -> None:
    """One run per anchor: parameters cannot be changed once logged, so the anchor outlives a database rewrite."""
    from mlflow.tracking import MlflowClient

    from tenantguard.registry.client import Registry

    reg = Registry(settings.mlflow_tracking_uri, settings.artifact_root)
    client: MlflowClient = reg.client
    run = client.create_run(reg.experiment_id(ANCHOR_EXPERIMENT), run_name=f"audit head {seq}",
                            tags={"tenantguard.system": "audit-anchor"})
    client.log_param(run.info.run_id, PARAM_SEQ, str(seq))
    client.log_param(run.info.run_id, PARAM_HASH, digest)
    client.set_terminated(run.info.run_id)


def mlflow_anchors(settings: Settings) -> dict[int, str]:
    """seq -> hash of every head anchored in MLflow (empty when the experiment does not exist yet)."""
    from tenantguard.registry.client import Registry

    reg = Registry(settings.mlflow_tracking_uri, settings.artifact_root)
    exp = reg.client.get_experiment_by_name(ANCHOR_EXPERIMENT)
    if exp is None:
        return {}
    out: dict[int, str] = {}
    token = None
    while True:
        page = reg.client.search_runs([exp.experiment_id], max_results=1000, page_token=token)
        for run in page:
            params = run.data.params
            if PARAM_SEQ in params and PARAM_HASH in params and params[PARAM_SEQ].isdigit():
                out[int(params[PARAM_SEQ])] = params[PARAM_HASH]
        token = page.token
        if not token:
            return out

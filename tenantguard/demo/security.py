"""The demo's closing step: an admin bootstrapped the documented way (token shown once) and the audit chain
verified against its anchors outside the database (the anchor file, and the head anchored in MLflow now)."""
from __future__ import annotations

from typing import Callable

from tenantguard.config import Settings
from tenantguard.demo.journal import REUSED
from tenantguard.errors import Unauthorized

DEMO_ADMIN = "demo-admin"


def security_step(settings: Settings, echo: Callable[[str], None]) -> None:
    from tenantguard.killswitch.store import KillSwitchStore
    from tenantguard.registry.chain import anchor_in_mlflow, mlflow_anchors

    store = KillSwitchStore.from_settings(settings)
    echo("\nsecurity:")
    try:
        token = store.actors.init_admin(DEMO_ADMIN)  # what `tenantguard killswitch actors init` runs
        echo(f"  admin {DEMO_ADMIN!r} bootstrapped with `tenantguard killswitch actors init --name {DEMO_ADMIN}`; "
             f"its token, shown once (state changes need it: rollback, abuse ack, actors, overrides):")
        echo(f"    {token}")
    except Unauthorized:
        echo(f"  {REUSED}the store's actors (bootstrapped before; a token is shown once, when it is made)")
    head_seq, head_hash = store.audit.head()
    if head_seq:
        anchor_in_mlflow(settings, head_seq, head_hash)
    from tenantguard.killswitch.audit import merge_anchors

    result = store.audit.verify(anchors=merge_anchors(("MLflow", mlflow_anchors(settings))))
    echo(f"  audit chain: {result.summary()}; anchor file {settings.audit_anchor_path}, head {head_seq} anchored "
         f"in MLflow (experiment tenantguard/audit)")

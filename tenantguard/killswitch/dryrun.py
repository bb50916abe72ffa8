"""`engage --dry-run`: which recent inference-log requests a switch would have hit.

Reads the inference-log table of docs/contracts.md (`inference_log`: id, ts, tenant_id, feature, region, ...) by
reflection, read-only, so a missing database or table is reported rather than created. Only ids,
times and scope fields are returned: prompts and completions never leave the log.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from tenantguard.killswitch.scope import Scope

TABLE = "inference_log"


@dataclass(frozen=True)
class DryRunReport:
    available: bool
    scanned: int = 0
    hits: int = 0
    first_id: int | None = None
    last_id: int | None = None
    by_tenant: dict[str, int] = field(default_factory=dict)
    sample: tuple[dict, ...] = ()
    note: str = ""

    def summary(self) -> str:
        if not self.available:
            return f"dry run: no inference log ({self.note}); nothing to compare against"
        span = f"ids {self.first_id}..{self.last_id}" if self.scanned else "empty log"
        tenants = ", ".join(f"{t}={n}" for t, n in sorted(self.by_tenant.items())) or "none"
        return f"dry run: would have hit {self.hits} of the last {self.scanned} requests ({span}); by tenant: {tenants}"


def dry_run(url: str, scope: Scope, *, window: int = 10_000, sample: int = 5) -> DryRunReport:
    """Match `scope` against the newest `window` rows of the inference log at `url`."""
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() == "sqlite" and not Path(parsed.database or "").expanduser().is_file():
        return DryRunReport(available=False, note=f"{parsed.database} does not exist")
    engine = sa.create_engine(url)
    try:
        try:
            if not sa.inspect(engine).has_table(TABLE):
                return DryRunReport(available=False, note=f"no table {TABLE!r} at {parsed.render_as_string()}")
            t = sa.Table(TABLE, sa.MetaData(), autoload_with=engine)
        except sa.exc.OperationalError as exc:
            return DryRunReport(available=False, note=str(exc.orig).strip().splitlines()[0])
        cols = [t.c[c] for c in ("id", "ts", "tenant_id", "feature", "region") if c in t.c]
        q = sa.select(*cols).order_by(t.c.id.desc()).limit(window)
        with engine.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(q)]
    finally:
        engine.dispose()
    hits = [r for r in rows if scope.matches(r.get("feature"), r.get("tenant_id"), r.get("region"))]
    by_tenant: dict[str, int] = {}
    for r in hits:
        by_tenant[r["tenant_id"]] = by_tenant.get(r["tenant_id"], 0) + 1
    ids = [r["id"] for r in rows]
    return DryRunReport(available=True, scanned=len(rows), hits=len(hits), first_id=min(ids) if ids else None,
                        last_id=max(ids) if ids else None, by_tenant=by_tenant,
                        sample=tuple(sorted(hits, key=lambda r: r["id"])[-sample:]))

"""The one alert record every abuse detector emits, and the alerts table it is deduplicated into.

Evidence is masked (`masking.mask`: kind, length and an id keyed with the project secret) and only ever
drawn from the alert's own tenant; other tenants in a cross-tenant campaign appear as counts.
`alert_id` is a digest of (kind, tenant, api_key, group), so the same finding raised again by a
later scan or a re-run sensor tick updates one row instead of adding another.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone

import sqlalchemy as sa

from tenantguard.monitoring.inference_log import make_engine

MAX_LISTED = 500  # keys or sessions listed in one alert


def listed(values) -> tuple[str, ...]:
    """The distinct non-empty identifiers among `values`, sorted, at most MAX_LISTED."""
    return tuple(sorted({str(v) for v in values if v}))[:MAX_LISTED]


@dataclass(frozen=True)
class Alert:
    kind: str  # the emitting detector's `kind` (monitoring.abuse.detectors)
    tenant_id: str
    api_key: str | None
    first_id: int
    last_id: int
    score: float
    threshold: float
    summary: str  # one line, no raw text
    group: str  # what makes this finding the same finding on a re-scan (campaign signature, key, session)
    member_ids: tuple[int, ...] = ()  # log ids of this tenant's requests in the finding (capped)
    evidence: tuple[str, ...] = ()  # masked excerpts of this tenant's own requests
    stats: dict = field(default_factory=dict)
    action: str = "alert"
    feature: str | None = None
    # Every key and session of this tenant in the finding (the tenant's own identifiers; capped at MAX_LISTED,
    # stats say how many there were). A response scoped to keys blocks exactly these.
    api_keys: tuple[str, ...] = ()
    session_ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.api_keys and self.api_key:
            object.__setattr__(self, "api_keys", (self.api_key,))

    @property
    def alert_id(self) -> str:
        raw = json.dumps([self.kind, self.tenant_id, self.api_key, self.group])
        return hashlib.sha256(raw.encode()).hexdigest()[:20]

    def to_dict(self) -> dict:
        d = asdict(self)
        d["member_ids"] = list(self.member_ids)
        d["evidence"] = list(self.evidence)
        d["api_keys"] = list(self.api_keys)
        d["session_ids"] = list(self.session_ids)
        d["alert_id"] = self.alert_id
        return d


def dedup(alerts: list[Alert]) -> list[Alert]:
    """One alert per alert_id: the one covering the most recent rows (then the highest score) wins."""
    best: dict[str, Alert] = {}
    for a in alerts:
        cur = best.get(a.alert_id)
        if cur is None or (a.last_id, a.score) > (cur.last_id, cur.score):
            best[a.alert_id] = a
    return sorted(best.values(), key=lambda a: (a.first_id, a.kind, a.tenant_id))


_metadata = sa.MetaData()
alerts_table = sa.Table(
    "abuse_alerts", _metadata,
    sa.Column("alert_id", sa.String(20), primary_key=True),
    sa.Column("kind", sa.String(32), nullable=False, index=True),
    sa.Column("tenant_id", sa.String(40), nullable=False, index=True),
    sa.Column("api_key", sa.String(256)),
    sa.Column("first_id", sa.Integer, nullable=False),
    sa.Column("last_id", sa.Integer, nullable=False),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("threshold", sa.Float, nullable=False),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("record", sa.Text, nullable=False),  # the full Alert as JSON
    sa.Column("created_at", sa.String(32), nullable=False),
    sa.Column("updated_at", sa.String(32), nullable=False),
)
acks_table = sa.Table(
    "abuse_alert_acks", _metadata,
    sa.Column("alert_id", sa.String(20), primary_key=True),
    sa.Column("last_id", sa.Integer, nullable=False),  # the alert's last row when acknowledged
    sa.Column("actor", sa.String(128), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("at", sa.String(32), nullable=False),
)


class AlertStore:
    """The alerts table (default: beside the inference log). `record` inserts or updates by alert_id.

    An alert is open until acknowledged; one that covers later rows than its acknowledgement reopens
    (the abuse went on after a responder looked at it)."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        _metadata.create_all(self.engine, tables=[alerts_table, acks_table])

    def record(self, alerts: list[Alert]) -> list[Alert]:
        """Write `alerts`; return those that are new or now cover later rows (what a sensor should act on)."""
        now = datetime.now(timezone.utc).isoformat()
        fresh: list[Alert] = []
        t = alerts_table
        with self.engine.begin() as conn:
            for a in dedup(alerts):
                row = conn.execute(sa.select(t.c.last_id).where(t.c.alert_id == a.alert_id)).first()
                values = dict(kind=a.kind, tenant_id=a.tenant_id, api_key=a.api_key, first_id=a.first_id,
                              last_id=a.last_id, score=a.score, threshold=a.threshold, action=a.action,
                              record=json.dumps(a.to_dict(), ensure_ascii=False), updated_at=now)
                if row is None:
                    conn.execute(t.insert().values(alert_id=a.alert_id, created_at=now, **values))
                    fresh.append(a)
                elif a.last_id > row.last_id:
                    conn.execute(t.update().where(t.c.alert_id == a.alert_id).values(**values))
        return fresh

    def list(self, *, tenant_id: str | None = None, kind: str | None = None, open_only: bool = False) -> list[dict]:
        """Alert records in first-row order, each with `acknowledged` (None or who, why, when, up to which row)."""
        t, k = alerts_table, acks_table
        q = (sa.select(t.c.record, t.c.last_id, k.c.last_id.label("ack_last_id"), k.c.actor, k.c.reason, k.c.at)
             .select_from(t.outerjoin(k, k.c.alert_id == t.c.alert_id)).order_by(t.c.first_id, t.c.alert_id))
        if tenant_id is not None:
            q = q.where(t.c.tenant_id == tenant_id)
        if kind is not None:
            q = q.where(t.c.kind == kind)
        out = []
        with self.engine.connect() as conn:
            for r in conn.execute(q):
                rec = json.loads(r.record)
                acked = r.ack_last_id is not None and r.ack_last_id >= r.last_id
                rec["acknowledged"] = ({"actor": r.actor, "reason": r.reason, "at": r.at, "last_id": r.ack_last_id}
                                       if acked else None)
                if not (open_only and acked):
                    out.append(rec)
        return out

    def acknowledge(self, alert_id: str, *, actor: str, reason: str) -> dict:
        """Mark `alert_id` handled up to its current last row; ConfigError names the id when unknown."""
        from tenantguard.errors import ConfigError

        t, k = alerts_table, acks_table
        now = datetime.now(timezone.utc).isoformat()
        with self.engine.begin() as conn:
            row = conn.execute(sa.select(t.c.last_id).where(t.c.alert_id == alert_id)).first()
            if row is None:
                raise ConfigError(f"alert {alert_id!r} is not in the alerts table (see `tenantguard abuse alerts --tenant T`)")
            values = dict(last_id=row.last_id, actor=actor, reason=reason, at=now)
            if conn.execute(sa.select(k.c.alert_id).where(k.c.alert_id == alert_id)).first() is None:
                conn.execute(k.insert().values(alert_id=alert_id, **values))
            else:
                conn.execute(k.update().where(k.c.alert_id == alert_id).values(**values))
        return {"alert_id": alert_id, **values}

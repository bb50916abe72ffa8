"""The tamper-evident audit log: an append-only table whose entries are sha256-chained.

entry.hash = sha256(canonical JSON of {v, seq, prev_hash, ts, actor, role, action, scope, before, after,
reason, incident_id, run_id}); canonical = sorted keys, no whitespace, UTF-8. Editing, deleting,
reordering or forging an entry breaks the recomputed chain; truncating the tail no longer matches the
stored head (and an exported head, anchored outside the database, catches a rewritten head too).
This is the construction of Crosby & Wallach, "Efficient Data Structures for Tamper-Evident Logging"
(USENIX Security 2009), in its simplest, linear form.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

import sqlalchemy as sa

from tenantguard.errors import AuditChainBroken, ConfigError
from tenantguard.killswitch import db, schema
from tenantguard.killswitch.switch import iso, utcnow

FORMAT_VERSION = 1
_MAX_ACTION = 64


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    ts: str
    actor: str
    role: str
    action: str
    scope: Any
    before: Any
    after: Any
    reason: str
    incident_id: str | None
    run_id: str | None
    prev_hash: str
    hash: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def computed_hash(self) -> str:
        return entry_hash(self.seq, self.prev_hash, self._hashed_fields())

    def _hashed_fields(self) -> dict[str, Any]:
        d = self.as_dict()
        for k in ("seq", "prev_hash", "hash"):
            del d[k]
        return d


@dataclass(frozen=True)
class VerifyResult:
    """`first_broken` is the seq of the first entry that fails, `why` says how."""

    ok: bool
    n_entries: int
    head_seq: int
    head_hash: str
    first_broken: int | None = None
    why: str | None = None

    def summary(self) -> str:
        if self.ok:
            return f"audit chain ok: {self.n_entries} entries, head {self.head_seq}:{self.head_hash}"
        return f"audit chain BROKEN at entry {self.first_broken}: {self.why}"


def canonical(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def entry_hash(seq: int, prev_hash: str, fields: dict[str, Any]) -> str:
    return hashlib.sha256(canonical({"v": FORMAT_VERSION, "seq": seq, "prev_hash": prev_hash, **fields})).hexdigest()


def verify_entries(entries: Iterable[AuditEntry], *, head: tuple[int, str] | None = None,
                   anchor: tuple[int, str] | None = None) -> VerifyResult:
    """Recompute the chain; `head` is the recorded head, `anchor` a head exported earlier."""
    prev_seq, prev_hash, n = 0, schema.GENESIS, 0
    anchor_seen = anchor is None or anchor[0] == 0

    def broken(seq: int, why: str) -> VerifyResult:
        return VerifyResult(False, n, prev_seq, prev_hash, seq, why)

    for e in entries:
        if e.seq != prev_seq + 1:
            if e.seq <= prev_seq:
                return broken(e.seq, f"entry {e.seq} follows entry {prev_seq} (reordered or duplicated)")
            return broken(prev_seq + 1, f"entry {prev_seq + 1} is missing (deleted); next is {e.seq}")
        if e.prev_hash != prev_hash:
            return broken(e.seq, f"entry {e.seq} does not chain to entry {prev_seq} (reordered, replaced or forged)")
        try:
            computed = e.computed_hash()
        except (TypeError, ValueError):
            computed = ""
        if computed != e.hash:
            return broken(e.seq, f"entry {e.seq} content does not match its hash (edited)")
        if anchor is not None and e.seq == anchor[0]:
            if e.hash != anchor[1]:
                return broken(e.seq, f"entry {e.seq} differs from the anchored head (log rewritten since export)")
            anchor_seen = True
        prev_seq, prev_hash, n = e.seq, e.hash, n + 1
    if head is not None and head != (prev_seq, prev_hash):
        return VerifyResult(False, n, prev_seq, prev_hash, prev_seq + 1,
                            f"log ends at entry {prev_seq} but its head records entry {head[0]} (truncated)")
    if not anchor_seen:
        return VerifyResult(False, n, prev_seq, prev_hash, prev_seq + 1,
                            f"log ends at entry {prev_seq} but the anchor records entry {anchor[0]} (truncated)")
    return VerifyResult(True, n, prev_seq, prev_hash)


class AuditLog:
    """The audit chain in the database at `url` (the kill-switch database by default)."""

    def __init__(self, url: str | sa.Engine) -> None:
        self.engine = url if isinstance(url, sa.Engine) else db.make_engine(url)
        db.ensure_schema(self.engine)

    def append(self, *, actor: str, role: str, action: str, scope: dict | None, before: Any, after: Any,
               reason: str, incident_id: str | None = None, run_id: str | None = None) -> AuditEntry:
        """Append one entry at the head of the chain, atomically, and return it."""
        try:
            with db.write_tx(self.engine) as conn:
                return append_in(conn, actor=actor, role=role, action=action, scope=scope, before=before,
                                 after=after, reason=reason, incident_id=incident_id, run_id=run_id)
        except sa.exc.OperationalError as exc:
            raise db.unavailable(self.engine, exc) from None

    def head(self) -> tuple[int, str]:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(schema.audit_head.c.seq, schema.audit_head.c.hash)).one()
        return int(row.seq), row.hash

    def entries(self, *, after_seq: int = 0, action: str | None = None) -> Iterator[AuditEntry]:
        """Entries in chain order, streamed."""
        t = schema.audit
        q = sa.select(t).where(t.c.seq > after_seq).order_by(t.c.seq)
        if action is not None:
            q = q.where(t.c.action == action)
        with self.engine.connect() as conn:
            for row in conn.execution_options(yield_per=1000).execute(q):
                yield _entry(row._mapping)

    def verify(self, *, anchor: tuple[int, str] | None = None) -> VerifyResult:
        """Recompute the whole chain, in one read transaction so concurrent appends don't confuse it."""
        t = schema.audit
        with self.engine.connect() as conn, conn.begin():
            head = conn.execute(sa.select(schema.audit_head.c.seq, schema.audit_head.c.hash)).one()
            rows = conn.execution_options(yield_per=1000).execute(
                sa.select(t).where(t.c.seq <= head.seq).order_by(t.c.seq))
            return verify_entries((_entry(r._mapping) for r in rows), head=(int(head.seq), head.hash),
                                  anchor=anchor)

    def export(self, path: str | Path) -> VerifyResult:
        """Write every entry as JSON Lines plus a final head line; returns the verification of what was written."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        with self.engine.connect() as conn, conn.begin(), tmp.open("w", encoding="utf-8") as fh:
            head = conn.execute(sa.select(schema.audit_head.c.seq, schema.audit_head.c.hash)).one()
            t = schema.audit
            entries = []
            for row in conn.execution_options(yield_per=1000).execute(
                    sa.select(t).where(t.c.seq <= head.seq).order_by(t.c.seq)):
                e = _entry(row._mapping)
                entries.append(e)
                fh.write(json.dumps(e.as_dict(), sort_keys=True, ensure_ascii=False) + "\n")
            fh.write(json.dumps({"head": {"seq": int(head.seq), "hash": head.hash}, "exported_at": iso(utcnow()),
                                 "n_entries": len(entries)}) + "\n")
        os.replace(tmp, path)
        return verify_entries(entries, head=(int(head.seq), head.hash))


def append_in(conn: sa.Connection, *, actor: str, role: str, action: str, scope: dict | None, before: Any,
              after: Any, reason: str, incident_id: str | None = None, run_id: str | None = None) -> AuditEntry:
    """Append inside a transaction that already holds the writer lock (see db.write_tx)."""
    for name, value in (("actor", actor), ("role", role), ("action", action)):
        if not isinstance(value, str) or not value.strip() or len(value) > (_MAX_ACTION if name == "action" else 128):
            raise ConfigError(f"audit entry field '{name}': expected a non-empty string, got {value!r:.60}")
    if not isinstance(reason, str):
        raise ConfigError(f"audit entry field 'reason': expected a string, got {type(reason).__name__}")
    fields = {"ts": iso(utcnow()), "actor": actor, "role": role, "action": action, "scope": scope or {},
              "before": before, "after": after, "reason": reason, "incident_id": incident_id, "run_id": run_id}
    try:
        canonical(fields)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"audit entry for {action!r}: scope/before/after must be JSON-serializable ({exc})") from None
    head = conn.execute(sa.select(schema.audit_head.c.seq, schema.audit_head.c.hash)
                        .where(schema.audit_head.c.id == 1)).one()
    seq, prev = int(head.seq) + 1, head.hash
    digest = entry_hash(seq, prev, fields)
    row = {**fields, "seq": seq, "prev_hash": prev, "hash": digest,
           **{k: canonical(fields[k]).decode() for k in ("scope", "before", "after")}}
    conn.execute(schema.audit.insert().values(**row))
    conn.execute(schema.audit_head.update().where(schema.audit_head.c.id == 1).values(seq=seq, hash=digest))
    return AuditEntry(seq=seq, prev_hash=prev, hash=digest, **fields)


def read_export(path: str | Path) -> tuple[list[AuditEntry], tuple[int, str] | None]:
    """Entries and head of a file written by `AuditLog.export`."""
    entries: list[AuditEntry] = []
    head = None
    with Path(path).open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
                if "head" in obj:
                    head = (int(obj["head"]["seq"]), str(obj["head"]["hash"]))
                else:
                    entries.append(AuditEntry(**obj))
            except (ValueError, TypeError, KeyError) as exc:
                raise AuditChainBroken(f"{path} line {lineno}: not an audit export entry ({exc})") from None
    return entries, head


def parse_anchor(text: str) -> tuple[int, str]:
    """`SEQ:HASH` as printed by `audit export`."""
    seq, _, digest = text.partition(":")
    if not seq.isdigit() or len(digest) != 64:
        raise ConfigError(f"--anchor {text!r}: expected SEQ:SHA256 as printed by `tenantguard audit export`")
    return int(seq), digest.lower()


def _entry(m: Any) -> AuditEntry:
    return AuditEntry(seq=int(m["seq"]), ts=m["ts"], actor=m["actor"], role=m["role"], action=m["action"],
                      scope=_load(m["scope"]), before=_load(m["before"]), after=_load(m["after"]),
                      reason=m["reason"], incident_id=m["incident_id"], run_id=m["run_id"],
                      prev_hash=m["prev_hash"], hash=m["hash"])


def _load(text: str) -> Any:
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return text  # tampered text: keep it, the recomputed hash will not match

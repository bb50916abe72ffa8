"""The tamper-evident audit log: an append-only table whose entries are HMAC-chained and anchored outside it.

entry.hash = HMAC-SHA256(key, canonical JSON of {v, seq, prev_hash, ts, actor, role, action, scope, before,
after, reason, incident_id, run_id}); canonical = sorted keys, no whitespace, UTF-8. The key is derived from
the project secret (Settings.audit_key), never stored in the database, so someone who can write the database
but does not hold the secret cannot recompute the chain after an edit: the edited entry is the first that fails.
Every committed write also appends the new entries' `SEQ HASH` to an anchor file outside the database
(killswitch/anchors.py), and promotions anchor the head in MLflow (registry/audit_anchor.py): a deleted tail,
or a rewrite by someone who does hold the key, no longer matches them, and verify names the first entry that
differs. This is the construction of Crosby & Wallach, "Efficient Data Structures for Tamper-Evident Logging"
(USENIX Security 2009), in its simplest, linear form, keyed.
"""
from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

import sqlalchemy as sa

from tenantguard.errors import AuditChainBroken, ConfigError
from tenantguard.killswitch import db, schema
from tenantguard.killswitch.anchors import append_anchor, read_anchors
from tenantguard.killswitch.switch import iso, utcnow

FORMAT_VERSION = 2  # 1 was unkeyed sha256: anyone with database access could recompute it
_MAX_ACTION = 64
_APPENDED = "tg_audit_appended"  # conn.info key: entries appended in this transaction, anchored after commit

# seq -> [(hash, where it was anchored)]
Anchors = Mapping[int, list[tuple[str, str]]]


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

    def computed_hash(self, key: bytes) -> str:
        return entry_hash(key, self.seq, self.prev_hash, self._hashed_fields())

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
    n_anchors: int = 0

    def summary(self) -> str:
        if self.ok:
            return (f"audit chain ok: {self.n_entries} entries, head {self.head_seq}:{self.head_hash}, "
                    f"{self.n_anchors} anchor(s) matched")
        return f"audit chain BROKEN at entry {self.first_broken}: {self.why}"


def canonical(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def entry_hash(key: bytes, seq: int, prev_hash: str, fields: dict[str, Any]) -> str:
    body = canonical({"v": FORMAT_VERSION, "seq": seq, "prev_hash": prev_hash, **fields})
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def merge_anchors(*sources: tuple[str, Mapping[int, str]]) -> dict[int, list[tuple[str, str]]]:
    """One seq -> [(hash, source)] map from (source name, seq -> hash) pairs."""
    out: dict[int, list[tuple[str, str]]] = {}
    for where, anchors in sources:
        for seq, digest in anchors.items():
            out.setdefault(int(seq), []).append((digest, where))
    return out


def verify_entries(entries: Iterable[AuditEntry], *, key: bytes, head: tuple[int, str] | None = None,
                   anchors: Anchors | None = None) -> VerifyResult:
    """Recompute the chain with `key`; `head` is the recorded head, `anchors` heads kept outside the database.

    The first entry that fails any test is named: a gap, a broken link, a content that does not match its
    HMAC, or a hash that differs from an anchor of the same seq."""
    anchors = anchors or {}
    prev_seq, prev_hash, n, matched = 0, schema.GENESIS, 0, 0

    def broken(seq: int, why: str) -> VerifyResult:
        return VerifyResult(False, n, prev_seq, prev_hash, seq, why, matched)

    for e in entries:
        if e.seq != prev_seq + 1:
            if e.seq <= prev_seq:
                return broken(e.seq, f"entry {e.seq} follows entry {prev_seq} (reordered or duplicated)")
            return broken(prev_seq + 1, f"entry {prev_seq + 1} is missing (deleted); next is {e.seq}")
        if e.prev_hash != prev_hash:
            return broken(e.seq, f"entry {e.seq} does not chain to entry {prev_seq} (reordered, replaced or forged)")
        for digest, where in anchors.get(e.seq, ()):
            if e.hash != digest:
                return broken(e.seq, f"entry {e.seq} differs from its anchor in {where} (rewritten since)")
            matched += 1
        try:
            computed = e.computed_hash(key)
        except (TypeError, ValueError):
            computed = ""
        if not hmac.compare_digest(computed, e.hash):
            return broken(e.seq, f"entry {e.seq} content does not match its keyed hash (edited, or the log was "
                                 f"written under another TENANTGUARD_SECRET)")
        prev_seq, prev_hash, n = e.seq, e.hash, n + 1
    if head is not None and head != (prev_seq, prev_hash):
        return broken(prev_seq + 1, f"log ends at entry {prev_seq} but its head records entry {head[0]} (truncated)")
    beyond = [s for s in anchors if s > prev_seq]
    if beyond:
        last = max(beyond)
        return broken(prev_seq + 1, f"log ends at entry {prev_seq} but {anchors[last][0][1]} records entry {last} "
                                    f"(entries deleted)")
    return VerifyResult(True, n, prev_seq, prev_hash, n_anchors=matched)


class AuditLog:
    """The audit chain in the database at `url` (the kill-switch database by default), keyed with `key`;
    `anchor_path` is the anchor file outside the database (None: no file anchoring, e.g. a read-only copy)."""

    def __init__(self, url: str | sa.Engine, *, key: bytes, anchor_path: str | Path | None = None) -> None:
        if not isinstance(key, bytes) or len(key) < 16:
            raise ConfigError("audit chain key: expected at least 16 bytes derived from TENANTGUARD_SECRET")
        self.engine = url if isinstance(url, sa.Engine) else db.make_engine(url)
        self.key = key
        self.anchor_path = Path(anchor_path) if anchor_path is not None else None
        db.ensure_schema(self.engine)

    @classmethod
    def from_settings(cls, settings) -> "AuditLog":
        """The chain at Settings.killswitch_url, keyed from the project secret, anchored in audit_anchor_path."""
        return cls(settings.killswitch_url, key=settings.audit_key(), anchor_path=settings.audit_anchor_path)

    @contextlib.contextmanager
    def write_tx(self) -> Iterator[sa.Connection]:
        """db.write_tx, then (after commit) every entry appended in it goes to the anchor file."""
        try:
            with db.write_tx(self.engine) as conn:
                conn.info[_APPENDED] = []
                yield conn
                appended = conn.info.pop(_APPENDED)
        except sa.exc.OperationalError as exc:
            raise db.unavailable(self.engine, exc) from None
        if self.anchor_path is not None:
            for e in appended:
                append_anchor(self.anchor_path, e.seq, e.hash)

    def append(self, *, actor: str, role: str, action: str, scope: dict | None, before: Any, after: Any,
               reason: str, incident_id: str | None = None, run_id: str | None = None) -> AuditEntry:
        """Append one entry at the head of the chain, atomically, and return it."""
        with self.write_tx() as conn:
            return self.append_in(conn, actor=actor, role=role, action=action, scope=scope, before=before,
                                  after=after, reason=reason, incident_id=incident_id, run_id=run_id)

    def append_in(self, conn: sa.Connection, **fields: Any) -> AuditEntry:
        """Append inside a transaction from `write_tx` (it holds the writer lock)."""
        entry = append_in(conn, key=self.key, **fields)
        conn.info.setdefault(_APPENDED, []).append(entry)
        return entry

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
                yield entry_from_row(row._mapping)

    def file_anchors(self) -> dict[int, str]:
        return read_anchors(self.anchor_path) if self.anchor_path is not None else {}

    def verify(self, *, anchors: Anchors | None = None) -> VerifyResult:
        """Recompute the whole chain against the anchor file and `anchors` (e.g. MLflow's), in one read
        transaction so concurrent appends don't confuse it."""
        merged = merge_anchors(("the anchor file", self.file_anchors()))
        for seq, items in (anchors or {}).items():
            merged.setdefault(seq, []).extend(items)
        t = schema.audit
        with self.engine.connect() as conn, conn.begin():
            head = conn.execute(sa.select(schema.audit_head.c.seq, schema.audit_head.c.hash)).one()
            rows = conn.execution_options(yield_per=1000).execute(sa.select(t).order_by(t.c.seq))
            # Anchors were read first and are written after commit, so each one's entry is in this snapshot.
            return verify_entries((entry_from_row(r._mapping) for r in rows), key=self.key,
                                  head=(int(head.seq), head.hash), anchors=merged)

    def export(self, path: str | Path) -> VerifyResult:
        """Write every entry as JSON Lines plus a final head line; returns the verification of what was
        written, whose head (head_seq:head_hash) is the head of the file, not of the database."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        with self.engine.connect() as conn, conn.begin(), tmp.open("w", encoding="utf-8") as fh:
            head = conn.execute(sa.select(schema.audit_head.c.seq, schema.audit_head.c.hash)).one()
            t = schema.audit
            entries = []
            for row in conn.execution_options(yield_per=1000).execute(
                    sa.select(t).where(t.c.seq <= head.seq).order_by(t.c.seq)):
                e = entry_from_row(row._mapping)
                entries.append(e)
                fh.write(json.dumps(e.as_dict(), sort_keys=True, ensure_ascii=False) + "\n")
            last = (entries[-1].seq, entries[-1].hash) if entries else (0, schema.GENESIS)
            fh.write(json.dumps({"head": {"seq": last[0], "hash": last[1]}, "exported_at": iso(utcnow()),
                                 "n_entries": len(entries)}) + "\n")
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
        file_anchors = self.file_anchors()
        result = verify_entries(entries, key=self.key, head=(int(head.seq), head.hash),
                                anchors=merge_anchors(("the anchor file", file_anchors)))
        return VerifyResult(result.ok, len(entries), last[0], last[1], result.first_broken, result.why,
                            result.n_anchors)


def append_in(conn: sa.Connection, *, key: bytes, actor: str, role: str, action: str, scope: dict | None,
              before: Any, after: Any, reason: str, incident_id: str | None = None,
              run_id: str | None = None) -> AuditEntry:
    """Append inside a transaction that already holds the writer lock (prefer AuditLog.append_in, which also
    anchors the entry after commit)."""
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
    digest = entry_hash(key, seq, prev, fields)
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


def entry_from_row(m: Any) -> AuditEntry:
    return AuditEntry(seq=int(m["seq"]), ts=m["ts"], actor=m["actor"], role=m["role"], action=m["action"],
                      scope=_load(m["scope"]), before=_load(m["before"]), after=_load(m["after"]),
                      reason=m["reason"], incident_id=m["incident_id"], run_id=m["run_id"],
                      prev_hash=m["prev_hash"], hash=m["hash"])


def _load(text: str) -> Any:
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return text  # tampered text: keep it, the recomputed hash will not match

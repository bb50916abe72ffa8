"""The inference-log table (docs/contracts.md "Inference logs"): one row a production request, read by cursor.

SQLAlchemy Core over any URL (default SQLite under the home). `id` is assigned by the table and only
grows (SQLite AUTOINCREMENT), so a reader that remembers the last id it saw misses nothing. `ts` is
stored as ISO-8601 UTC text with a fixed width so it sorts; naive timestamps are taken as UTC.

Text is kept, never dropped: NUL characters and lone surrogates (which no SQL text column can hold)
become U+FFFD, bytes are decoded as UTF-8 with replacement. An attacker cannot keep a request out of
the log by sending bytes the database rejects.
"""
from __future__ import annotations

import json
import math
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

import sqlalchemy as sa

from tenantguard.config import sql_url
from tenantguard.errors import ConfigError, InferenceLogInvalid

COLUMNS = ("id", "ts", "tenant_id", "feature", "region", "api_key", "session_id", "model_version",
           "prompt", "completion", "prompt_tokens", "completion_tokens", "latency_ms", "params", "source_id")
REQUIRED = ("ts", "tenant_id")
_TEXT = ("prompt", "completion")
_SHORT = ("feature", "region", "api_key", "session_id", "model_version", "source_id")
_COUNTS = ("prompt_tokens", "completion_tokens")
_COLUMN_SET = frozenset(COLUMNS)
_TENANT_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,39}$")
# json.dumps(value, sort_keys=True, allow_nan=False) without building an encoder each call (half its cost).
# No circular-reference markers: a cycle ends in RecursionError, refused like any value that is not JSON.
_PARAMS_JSON = json.encoder.c_make_encoder(
    None, json.JSONEncoder().default, json.encoder.encode_basestring_ascii, None, ": ", ", ", True, False, False,
) if json.encoder.c_make_encoder else json.JSONEncoder(sort_keys=True, allow_nan=False).iterencode
_BAD_CHARS = re.compile("[\x00\ud800-\udfff]")
MAX_TEXT_CHARS = 1_000_000  # a prompt is the whole context (RAG documents, history): generous, but bounded
MAX_SHORT_CHARS = 256
_SHORT_LIMITS = tuple((name, MAX_SHORT_CHARS) for name in _SHORT)

_metadata = sa.MetaData()
inference_log_table = sa.Table(
    "inference_log", _metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("ts", sa.String(32), nullable=False, index=True),
    sa.Column("tenant_id", sa.String(40), nullable=False, index=True),
    *(sa.Column(name, sa.String(MAX_SHORT_CHARS)) for name in _SHORT),
    sa.Column("prompt", sa.Text), sa.Column("completion", sa.Text),
    sa.Column("prompt_tokens", sa.Integer), sa.Column("completion_tokens", sa.Integer),
    sa.Column("latency_ms", sa.Float), sa.Column("params", sa.Text),
    sqlite_autoincrement=True,
)
# The source's own id of a request (a span, a gateway request id): re-ingesting the same source adds nothing.
# A separate index rather than a column constraint, so a table made before it gains both (`_add_source_id`).
SOURCE_INDEX = sa.Index("ix_inference_log_source_id", inference_log_table.c.source_id, unique=True)


def make_engine(url: str) -> sa.Engine:
    """An engine for `url`, connected once: a URL that does not load (unknown database, driver not installed)
    or a database that does not answer fails here in one line (ConfigError). Creates a SQLite file's directory."""
    url = sql_url(url, "inference-log URL")
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"timeout": 30})
        sa.event.listen(engine, "connect", _log_pragmas)
    else:
        # A PostgreSQL server that is down fails in seconds, not at the OS's TCP timeout.
        engine = sa.create_engine(url, connect_args={"connect_timeout": 3}
                                  if parsed.get_backend_name() == "postgresql" else {})
    try:
        with engine.connect():
            pass
    except sa.exc.OperationalError as exc:
        first = (str(exc.orig).strip().splitlines() or [type(exc.orig).__name__])[0]
        raise ConfigError(f"inference-log database {parsed.render_as_string(hide_password=True)} is unreachable "
                          f"({first}); start it or fix TENANTGUARD_INFERENCE_LOG_URL") from None
    return engine


def _log_pragmas(dbapi_conn, _record) -> None:
    """An append-mostly log: WAL lets the abuse sensor read while ingest writes, and synchronous=NORMAL
    syncs at checkpoints instead of at every commit (a power cut may lose the last commits, never corrupt)."""
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


class InferenceLog:
    """The inference-log table at a SQLAlchemy URL; created on first use."""

    def __init__(self, url: str, *, max_text_chars: int = MAX_TEXT_CHARS) -> None:
        self.url = url
        self.max_text_chars = max_text_chars
        self.engine = make_engine(url)
        _metadata.create_all(self.engine, tables=[inference_log_table])
        _add_source_id(self.engine)

    def append(self, rows: list[dict], *, validated: bool = False) -> int:
        """Validate every row (all-or-nothing; `validated`: they are `validate_row`'s output already), insert
        them in order and return how many were written.

        A row whose `source_id` the log already holds (or an earlier row of `rows` carries) is skipped, not
        written: re-reading a source adds nothing. A concurrent writer of the same source loses the race once
        on the unique index and is retried, so it skips instead of failing."""
        clean = rows if validated else [validate_row(row, f"row {i}", max_text_chars=self.max_text_chars)
                                        for i, row in enumerate(rows)]
        if not clean:
            return 0
        try:
            return self._insert(clean)
        except sa.exc.IntegrityError:
            return self._insert(clean)

    def _insert(self, clean: list[dict]) -> int:
        with self.engine.begin() as conn:
            if _skips_seen(conn, clean):
                return _insert(conn, clean, skip_seen=True)
            clean = _unseen(conn, clean)
            if not clean:
                return 0
            last = conn.execute(sa.select(sa.func.max(inference_log_table.c.id))).scalar() or 0
            for i, row in enumerate(clean):
                given = row.get("id")
                if given is not None:
                    if given <= last:
                        raise InferenceLogInvalid(
                            f"row {i} field 'id': {given} is not above the log's last id {last}; ids only grow "
                            f"(omit 'id' to have one assigned)")
                    last = given
            _insert(conn, clean, skip_seen=False)
        return len(clean)

    def read(self, after_id: int = 0, limit: int = 10_000, *, tenant_id: str | None = None) -> list[dict]:
        """Rows with id > after_id ordered by id, at most `limit`; `params` parsed back into a dict."""
        t = inference_log_table
        q = sa.select(t).where(t.c.id > after_id).order_by(t.c.id).limit(limit)
        if tenant_id is not None:
            q = q.where(t.c.tenant_id == tenant_id)
        with self.engine.connect() as conn:
            out = [dict(r._mapping) for r in conn.execute(q)]
        for row in out:
            row["params"] = _load_params(row["params"])
        return out

    def max_id(self) -> int:
        """The newest id, 0 for an empty log."""
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.max(inference_log_table.c.id))).scalar() or 0)

    def iter_batches(self, after_id: int = 0, *, batch: int = 10_000) -> Iterable[list[dict]]:
        """Every row after `after_id` in id order, `batch` rows at a time."""
        while rows := self.read(after_id, batch):
            yield rows
            after_id = rows[-1]["id"]


_MARK = {"qmark": "?", "format": "%s", "pyformat": "%s"}


def _skips_seen(conn: sa.Connection, rows: list[dict]) -> bool:
    """Whether the database itself can skip rows it holds (ON CONFLICT (source_id) DO NOTHING) and count what
    went in: SQLite's and PostgreSQL's drivers sum executemany's rowcount. Not for rows carrying their own
    `id` (an id at or below the last is an error unless the row is a duplicate, so duplicates go first)."""
    return (conn.dialect.name in ("sqlite", "postgresql") and conn.dialect.paramstyle in _MARK
            and not any("id" in r for r in rows))


def _insert(conn: sa.Connection, rows: list[dict], *, skip_seen: bool) -> int:
    """Insert validated rows and return how many went in; `skip_seen` (`_skips_seen`): rows whose source_id
    the table or an earlier row holds are skipped by the database. Rows of one shape go to the driver's
    executemany as tuples: the SQL compiler's per-row parameter processing would cost as much as the insert
    itself (benchmarks/otlp_ingest.py)."""
    cols = tuple(rows[0])
    mark = _MARK.get(conn.dialect.paramstyle)
    if mark is None or any(tuple(r) != cols for r in rows):
        conn.execute(inference_log_table.insert(), rows)  # never with skip_seen: ids make shapes differ
        return len(rows)
    quote = conn.dialect.identifier_preparer.quote
    sql = (f"INSERT INTO {quote(inference_log_table.name)} ({', '.join(map(quote, cols))}) "
           f"VALUES ({', '.join([mark] * len(cols))})"
           + (f" ON CONFLICT ({quote('source_id')}) DO NOTHING" if skip_seen else ""))
    result = conn.exec_driver_sql(sql, [tuple(r.values()) for r in rows])
    return result.rowcount if skip_seen else len(rows)


def _add_source_id(engine: sa.Engine) -> None:
    """Give a table made before `source_id` existed the column and its unique index (both idempotent)."""
    columns = {c["name"] for c in sa.inspect(engine).get_columns("inference_log")}
    with engine.begin() as conn:
        if "source_id" not in columns:
            conn.execute(sa.text(f"ALTER TABLE inference_log ADD COLUMN source_id VARCHAR({MAX_SHORT_CHARS})"))
        SOURCE_INDEX.create(conn, checkfirst=True)


def _unseen(conn: sa.Connection, rows: list[dict]) -> list[dict]:
    """`rows` without those whose source_id the table holds or an earlier row of `rows` carries."""
    wanted = {r["source_id"] for r in rows if r.get("source_id") is not None}
    if not wanted:
        return rows
    col, seen = inference_log_table.c.source_id, set()
    ordered = sorted(wanted)
    for i in range(0, len(ordered), 500):  # bound the IN list: SQLite allows 32k parameters, some servers fewer
        seen.update(conn.execute(sa.select(col).where(col.in_(ordered[i:i + 500]))).scalars())
    out = []
    for r in rows:
        sid = r.get("source_id")
        if sid is not None:
            if sid in seen:
                continue
            seen.add(sid)
        out.append(r)
    return out


def validate_row(row: Any, where: str, *, max_text_chars: int = MAX_TEXT_CHARS) -> dict:
    """One row in table shape, or InferenceLogInvalid naming `where` and the field.

    Called once a row on every ingest path: the common case (ASCII text within limits) is checked inline,
    without a call per field; anything else takes `_text`'s full path."""
    if not isinstance(row, dict):
        raise InferenceLogInvalid(f"{where}: expected a JSON object with keys {list(COLUMNS)}")
    if not _COLUMN_SET.issuperset(row):
        raise InferenceLogInvalid(f"{where}: unknown field(s) {sorted(set(row) - _COLUMN_SET)}; "
                                  f"allowed: {list(COLUMNS)}")
    get = row.get
    for key in REQUIRED:
        if get(key) in (None, ""):
            raise InferenceLogInvalid(f"{where}: missing required field '{key}'")
    out: dict[str, Any] = {}
    if get("id") is not None:
        out["id"] = _count(row["id"], where, "id", positive=True)
    out["ts"] = _ts(row["ts"], where)
    tenant = row["tenant_id"]
    if not isinstance(tenant, str) or not _TENANT_RE.match(tenant):
        raise InferenceLogInvalid(
            f"{where} field 'tenant_id': {str(tenant)[:50]!r} must match ^[a-z0-9][a-z0-9-]{{1,39}}$")
    out["tenant_id"] = tenant
    for name, limit in _SHORT_LIMITS + tuple((n, max_text_chars) for n in _TEXT):
        value = get(name)
        if value is None or type(value) is str and len(value) <= limit and value.isascii() and "\x00" not in value:
            out[name] = value
        else:
            out[name] = _text(value, where, name, limit)
    for name in _COUNTS:
        value = get(name)
        out[name] = None if value is None else _count(value, where, name)
    lat = get("latency_ms")
    if lat is not None:
        if isinstance(lat, bool) or not isinstance(lat, (int, float)) or not math.isfinite(lat) or lat < 0:
            raise InferenceLogInvalid(f"{where} field 'latency_ms': expected a non-negative number, got {lat!r:.50}")
        lat = float(lat)
    out["latency_ms"] = lat
    out["params"] = _params(get("params"), where)
    return out


def parse_ts(value: str) -> float:
    """Seconds since the epoch of a stored `ts`."""
    return datetime.fromisoformat(value).timestamp()


def _ts(value: Any, where: str) -> str:
    try:
        if isinstance(value, bool):
            raise ValueError
        if isinstance(value, (int, float)):
            dt = datetime.fromtimestamp(float(value), tz=timezone.utc)
        elif isinstance(value, datetime):
            dt = value
        elif isinstance(value, str):
            dt = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
        else:
            raise ValueError
    except (ValueError, OverflowError, OSError):
        raise InferenceLogInvalid(
            f"{where} field 'ts': {str(value)[:40]!r} is not an ISO-8601 time or epoch seconds "
            f"(e.g. 2026-01-31T12:00:00Z)") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    elif dt.tzinfo is not timezone.utc:
        dt = dt.astimezone(timezone.utc)
    if dt.year < 1000:  # isoformat pads the year to four digits, strftime's %Y does not: keep the stored form
        return dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return dt.isoformat(timespec="microseconds")[:-6] + "Z"  # cheaper than strftime; same text


def _text(value: Any, where: str, name: str, limit: int) -> str | None:
    if value is None:
        return None
    if type(value) is str and len(value) <= limit and value.isascii() and "\x00" not in value:
        return value  # the common case, checked in C: no surrogate (not ASCII) and no NUL to replace
    if isinstance(value, (bytes, bytearray)):
        value = bytes(value).decode("utf-8", errors="replace")
    if not isinstance(value, str):
        raise InferenceLogInvalid(f"{where} field '{name}': expected a string or null, got {type(value).__name__}")
    if len(value) > limit:
        raise InferenceLogInvalid(f"{where} field '{name}': {len(value)} characters exceeds the limit of {limit}")
    return _BAD_CHARS.sub("\ufffd", value)


def _count(value: Any, where: str, name: str, *, positive: bool = False) -> int:
    ok = isinstance(value, int) and not isinstance(value, bool) or isinstance(value, float) and value.is_integer()
    low = 1 if positive else 0
    if not ok or value < low or value > 2**62:
        kind = "a positive integer" if positive else "a non-negative integer"
        raise InferenceLogInvalid(f"{where} field '{name}': expected {kind}, got {value!r:.50}")
    return int(value)


def _params(value: Any, where: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise InferenceLogInvalid(f"{where} field 'params': not valid JSON text") from None
    if not isinstance(value, dict):
        raise InferenceLogInvalid(f"{where} field 'params': expected a JSON object or null")
    try:
        return "".join(_PARAMS_JSON(value, 0))  # ASCII-escaped: no NUL or lone surrogate reaches the column
    except (TypeError, ValueError, RecursionError):
        raise InferenceLogInvalid(f"{where} field 'params': values must be JSON (no NaN, bytes or objects)") from None


def _load_params(text: str | None) -> dict | None:
    if text is None:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return {"_unparsed": text[:200]}  # written by someone else; keep it visible rather than drop it
    return value if isinstance(value, dict) else {"_value": value}

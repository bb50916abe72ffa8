"""The abuse scanner's detector state, saved per inference-log cursor under `<home>/monitoring/`.

Like the production monitor's state (home.monitor_state): a tick that dies before its cursor is
committed resumes from the state saved at that cursor, and a tick whose state is missing rebuilds it
from the log (monitoring.abuse.scan). Detector state is arbitrary Python objects (LSH indexes, numpy
buffers, deques), so it is pickled; the file is keyed with the project secret (HMAC-SHA256 in front)
and written 0600, and a file whose key does not verify is never unpickled: it is ignored and the state
rebuilt, because unpickling bytes someone else wrote would run their code.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import os
import pickle
from typing import Any

from tenantguard.config import Settings
from tenantguard.home.layout import monitoring_dir

KEEP_STATES = 3
_MAC = hashlib.sha256().digest_size
log = logging.getLogger(__name__)


def load_scan_state(settings: Settings, last_id: int) -> Any | None:
    """The state saved at `last_id`, or None (none saved, or a file that does not verify: logged, ignored)."""
    path = monitoring_dir(settings) / f"abuse-state-{last_id}.pkl"
    try:
        blob = path.read_bytes()
    except FileNotFoundError:
        return None
    mac, data = blob[:_MAC], blob[_MAC:]
    if not hmac.compare_digest(mac, hmac.new(settings.secret(), data, hashlib.sha256).digest()):
        log.warning("%s: not written with this deployment's secret; ignored, detector state is rebuilt from the log",
                    path)
        return None
    try:
        return pickle.loads(data)  # noqa: S301 (verified above: written by this deployment)
    except (pickle.UnpicklingError, AttributeError, ImportError, EOFError, TypeError) as exc:
        log.warning("%s: cannot be loaded (%s, e.g. written by another tenantguard version); rebuilt from the log",
                    path, type(exc).__name__)
        return None


def save_scan_state(settings: Settings, last_id: int, state: Any) -> None:
    """Save `state` as the one at `last_id`; keep the newest KEEP_STATES."""
    state_dir = monitoring_dir(settings)
    state_dir.mkdir(parents=True, exist_ok=True)
    data = pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL)
    tmp = state_dir / f".abuse-state.{os.getpid()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(hmac.new(settings.secret(), data, hashlib.sha256).digest() + data)
    tmp.replace(state_dir / f"abuse-state-{last_id}.pkl")
    olds = sorted(state_dir.glob("abuse-state-*.pkl"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
    for p in olds[:-KEEP_STATES]:
        p.unlink(missing_ok=True)

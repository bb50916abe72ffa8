"""Segmentation adapters (docs/contracts.md "Segmentation adapters"): `<home>/segmentation.yaml` names zero-argument
factories as `module:function`; every call into the platform goes through a per-call timeout.

```yaml
python_path: [../platform]          # optional, relative to this file; prepended to sys.path
retriever: platform_rag.adapters:make_retriever   # each factory optional: omitted -> audit not run
memory: platform_rag.adapters:make_memory
tools: platform_rag.adapters:make_tools
timeout_s: 10                       # optional: per adapter call
rag_probes: 50                      # optional: RAG probe budget per requester
policy: {rag_boundary: kill_switch} # optional: audit kind -> alert | kill_switch
```
A factory is imported when the file is loaded (a bad path is a one-line ConfigError naming the key and
the module) and called when an audit starts (a factory that raises makes that audit `error`).
"""
from __future__ import annotations

import importlib
import queue
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

import yaml

from tenantguard.errors import ConfigError
from tenantguard.evaluations.segmentation.report import KINDS

ADAPTER_KEYS = ("retriever", "memory", "tools")
ACTIONS = ("alert", "kill_switch")
DEFAULT_TIMEOUT_S = 10.0
DEFAULT_RAG_PROBES = 50
MIN_RAG_PROBES = 16  # the RAG audit's controls and adversarial set (rag.RagConfig.fixed) plus one
_KEYS = {"python_path", *ADAPTER_KEYS, "timeout_s", "rag_probes", "policy"}


class AdapterFailure(Exception):
    """An adapter call raised, timed out or returned something its contract does not allow."""


@dataclass(frozen=True)
class Factory:
    key: str  # retriever | memory | tools
    spec: str  # 'module:function' as written
    fn: Callable[[], Any]

    @property
    def label(self) -> str:
        return f"{self.key}={self.spec}"


@dataclass(frozen=True)
class SegmentationConfig:
    path: Path | None
    factories: Mapping[str, Factory] = field(default_factory=dict)
    timeout_s: float = DEFAULT_TIMEOUT_S
    rag_probes: int = DEFAULT_RAG_PROBES
    policy: Mapping[str, str] = field(default_factory=lambda: dict.fromkeys(KINDS, "alert"))

    def factory(self, key: str) -> Factory | None:
        return self.factories.get(key)


def load_config(path: Path) -> SegmentationConfig:
    """Parse and validate `segmentation.yaml`, importing each factory. A missing file configures nothing."""
    path = Path(path)
    if not path.exists():
        return SegmentationConfig(path=None)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise ConfigError(f"{path}{where}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
    data = {} if data is None else data
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping with keys {sorted(_KEYS)}")
    unknown = sorted(set(map(str, data)) - _KEYS)
    if unknown:
        raise ConfigError(f"{path}: unknown key(s) {unknown}; allowed: {sorted(_KEYS)}")
    _extend_path(path, data.get("python_path"))
    factories = {key: Factory(key, data[key], _import(path, key, data[key]))
                 for key in ADAPTER_KEYS if data.get(key) is not None}
    return SegmentationConfig(path=path, factories=factories,
                              timeout_s=_number(path, data, "timeout_s", DEFAULT_TIMEOUT_S, float),
                              rag_probes=_number(path, data, "rag_probes", DEFAULT_RAG_PROBES, int, MIN_RAG_PROBES),
                              policy=_policy(path, data.get("policy")))


def _extend_path(path: Path, entries: Any) -> None:
    if entries is None:
        return
    if isinstance(entries, str):
        entries = [entries]
    if not isinstance(entries, list) or not all(isinstance(e, str) and e for e in entries):
        raise ConfigError(f"{path}: key 'python_path' must be a list of directories, e.g. [../platform]")
    for entry in reversed(entries):
        d = (path.parent / Path(entry).expanduser()).resolve()
        if not d.is_dir():
            raise ConfigError(f"{path}: key 'python_path' entry {entry!r} is not a directory ({d})")
        if str(d) not in sys.path:
            sys.path.insert(0, str(d))


def _import(path: Path, key: str, spec: Any) -> Callable[[], Any]:
    if not isinstance(spec, str) or spec.count(":") != 1 or not all(spec.split(":")):
        raise ConfigError(f"{path}: key '{key}' must be 'module:function' (e.g. platform_rag.adapters:make_{key}), "
                          f"got {spec!r}")
    module_name, attr = spec.split(":")
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # ImportError, SyntaxError, or the module's own import-time failure
        cause = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else type(exc).__name__
        raise ConfigError(f"{path}: key '{key}': cannot import module '{module_name}' ({cause}); check the module "
                          f"name and 'python_path'") from None
    fn = getattr(module, attr, None)
    if fn is None:
        raise ConfigError(f"{path}: key '{key}': module '{module_name}' has no attribute '{attr}'")
    if not callable(fn):
        raise ConfigError(f"{path}: key '{key}': '{spec}' is not callable; name a zero-argument factory")
    return fn


def _number(path: Path, data: dict, key: str, default, kind, minimum=0):
    raw = data.get(key, default)
    ok = isinstance(raw, (int, float)) and not isinstance(raw, bool) and raw > 0 and raw >= minimum
    if not ok or (kind is int and int(raw) != raw):
        least = f" >= {minimum}" if minimum else ""
        raise ConfigError(f"{path}: key '{key}' must be a positive {'integer' if kind is int else 'number'}{least}, "
                          f"got {raw!r}")
    return kind(raw)


def _policy(path: Path, raw: Any) -> dict[str, str]:
    policy = dict.fromkeys(KINDS, "alert")
    if raw is None:
        return policy
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: key 'policy' must map audit kinds {list(KINDS)} to {list(ACTIONS)}")
    for kind, action in raw.items():
        if kind not in KINDS or action not in ACTIONS:
            raise ConfigError(f"{path}: policy entry {kind}: {action!r}; expected a kind in {list(KINDS)} mapped "
                              f"to one of {list(ACTIONS)}")
        policy[kind] = action
    return policy


class Guarded:
    """Calls into one adapter object with a per-call timeout; counts calls.

    Calls run one at a time on a daemon worker thread. A call that times out is abandoned with its
    worker (Python cannot interrupt it) and the next call gets a fresh worker, so one hung request
    costs `timeout_s` and never hangs the audit or the interpreter's exit.
    """

    def __init__(self, obj: Any, name: str, *, timeout_s: float = DEFAULT_TIMEOUT_S):
        self.obj, self.name, self.timeout_s = obj, name, timeout_s
        self.calls = 0
        self._inbox: queue.Queue | None = None

    def has(self, method: str) -> bool:
        return callable(getattr(self.obj, method, None))

    def call(self, method: str, *args) -> Any:
        fn = getattr(self.obj, method, None)
        if not callable(fn):
            raise AdapterFailure(f"{self.name} has no method {method}() (see docs/contracts.md 'Segmentation adapters')")
        return self.run(fn, f"{self.name}.{method}()", *args)

    def run(self, fn: Callable, label: str, *args) -> Any:
        """fn(*args) on the worker; PermissionError passes through (a refusal), anything else is a failure."""
        self.calls += 1
        if self._inbox is None:
            self._inbox = queue.Queue()
            threading.Thread(target=_worker, args=(self._inbox,), daemon=True, name=f"seg-{self.name}").start()
        box: queue.Queue = queue.Queue(maxsize=1)
        self._inbox.put((fn, args, box))
        try:
            ok, value = box.get(timeout=self.timeout_s)
        except queue.Empty:
            self._inbox.put(None)  # the stuck worker exits after its call, if it ever returns
            self._inbox = None
            raise AdapterFailure(f"{label} timed out after {self.timeout_s:g}s") from None
        if ok:
            return value
        if isinstance(value, PermissionError):
            raise value
        raise AdapterFailure(f"{label} raised {type(value).__name__}: {_first_line(value)}")

    def close(self) -> None:
        if self._inbox is not None:
            self._inbox.put(None)
            self._inbox = None


def _worker(inbox: queue.Queue) -> None:
    while (job := inbox.get()) is not None:
        fn, args, box = job
        try:
            box.put((True, fn(*args)))
        except BaseException as exc:  # noqa: BLE001 - everything the platform raises is reported, not re-raised
            box.put((False, exc))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else "(no message)"


def instantiate(factory: Factory, *, timeout_s: float) -> Guarded:
    """Call the zero-argument factory (under the timeout) and wrap the object it returns."""
    guarded = Guarded(None, factory.key, timeout_s=timeout_s)
    try:
        obj = guarded.run(factory.fn, f"factory {factory.spec}")
    except PermissionError as exc:
        raise AdapterFailure(f"factory {factory.spec} raised PermissionError: {_first_line(exc)}") from None
    if obj is None:
        guarded.close()
        raise AdapterFailure(f"factory {factory.spec} returned None; it must return the {factory.key} object")
    guarded.obj = obj  # same worker thread: thread-affine clients (e.g. sqlite3) keep working
    return guarded

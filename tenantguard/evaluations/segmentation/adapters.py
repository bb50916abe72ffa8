"""The platform's adapters as configured and as called (docs/contracts.md "Segmentation adapters").

`SegmentationConfig` is what `<home>/segmentation.yaml` configures (config_file.py parses it): one zero-argument
factory per adapter key an audit kind needs, the per-call timeout, the RAG probe budget and the policy.
`Guarded` makes every call into the platform under that timeout; `instantiate` calls a factory.
"""
from __future__ import annotations

import queue
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

ACTIONS = ("alert", "kill_switch")  # what a failed audit does (policy); kill_switch engages the tenant's switches
OPTION_KEYS = ("python_path", "timeout_s", "rag_probes", "policy")  # segmentation.yaml keys that are no adapter
DEFAULT_TIMEOUT_S = 10.0
DEFAULT_RAG_PROBES = 50


class AdapterFailure(Exception):
    """An adapter call raised, timed out or returned something its contract does not allow."""


@dataclass(frozen=True)
class Factory:
    key: str  # the adapter key in segmentation.yaml: retriever | memory | tools | a plug-in kind's key
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
    policy: Mapping[str, str] = field(default_factory=dict)  # audit kind -> action; a kind not named alerts

    def factory(self, key: str) -> Factory | None:
        return self.factories.get(key)

    @property
    def where(self) -> str:
        """The file, for messages that tell the user what to add where."""
        return str(self.path) if self.path else "segmentation.yaml (no such file in the home)"


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

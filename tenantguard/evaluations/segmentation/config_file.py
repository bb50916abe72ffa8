"""`<home>/segmentation.yaml`, parsed and validated against the table of audit kinds (kinds.py): each kind's
adapter key names a zero-argument factory as `module:function`, and the policy maps kinds to actions.

```yaml
python_path: [../platform]          # optional, relative to this file; prepended to sys.path
retriever: platform_rag.adapters:make_retriever   # each factory optional: omitted -> its audit not run
memory: platform_rag.adapters:make_memory
tools: platform_rag.adapters:make_tools
timeout_s: 10                       # optional: per adapter call
rag_probes: 50                      # optional: RAG probe budget per requester
policy: {rag_boundary: kill_switch} # optional: audit kind -> alert | kill_switch (default: the kind's own)
```
A factory is imported when the file is loaded (a bad path is a one-line ConfigError naming the key and
the module) and called when an audit starts (a factory that raises makes that audit `error`).
"""
from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any, Callable, Sequence

import yaml

from tenantguard.errors import ConfigError
from tenantguard.evaluations.segmentation.adapters import (ACTIONS, DEFAULT_RAG_PROBES, DEFAULT_TIMEOUT_S, OPTION_KEYS,
                                                           Factory, SegmentationConfig)
from tenantguard.evaluations.segmentation.kinds import BUILTIN, AuditKind
from tenantguard.evaluations.segmentation.rag_plan import RagConfig

MIN_RAG_PROBES = RagConfig().fixed + 1  # the RAG audit's controls and adversarial set, plus one cross-tenant probe


def adapter_keys(kinds: Sequence[AuditKind]) -> tuple[str, ...]:
    """The adapter keys the kinds need, in table order (two kinds may probe one adapter)."""
    return tuple(dict.fromkeys(k.adapter for k in kinds if k.adapter))


def load_config(path: Path, *, kinds: Sequence[AuditKind] = BUILTIN) -> SegmentationConfig:
    """Parse and validate `segmentation.yaml`, importing each factory. A missing file configures nothing."""
    path = Path(path)
    if not path.exists():
        return SegmentationConfig(path=None, policy=_policy(path, None, kinds))
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise ConfigError(f"{path}{where}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
    data = {} if data is None else data
    keys = {*OPTION_KEYS, *adapter_keys(kinds)}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping with keys {sorted(keys)}")
    unknown = sorted(set(map(str, data)) - keys)
    if unknown:
        raise ConfigError(f"{path}: unknown key(s) {unknown}; allowed: {sorted(keys)}")
    _extend_path(path, data.get("python_path"))
    factories = {key: Factory(key, data[key], _import(path, key, data[key]))
                 for key in adapter_keys(kinds) if data.get(key) is not None}
    return SegmentationConfig(path=path, factories=factories,
                              timeout_s=_number(path, data, "timeout_s", DEFAULT_TIMEOUT_S, float),
                              rag_probes=_number(path, data, "rag_probes", DEFAULT_RAG_PROBES, int, MIN_RAG_PROBES),
                              policy=_policy(path, data.get("policy"), kinds))


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


def _policy(path: Path, raw: Any, kinds: Sequence[AuditKind]) -> dict[str, str]:
    policy = {k.name: k.default_action for k in kinds}
    names = list(policy)
    if raw is None:
        return policy
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: key 'policy' must map audit kinds {names} to {list(ACTIONS)}")
    for kind, action in raw.items():
        if kind not in names or action not in ACTIONS:
            raise ConfigError(f"{path}: policy entry {kind}: {action!r}; expected a kind in {names} mapped "
                              f"to one of {list(ACTIONS)}")
        policy[kind] = action
    return policy

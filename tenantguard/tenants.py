"""Tenant directory: the `tenants.yaml` schema, loading and validation with line-numbered errors."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from tenantguard.errors import TenantsFileInvalid, UnknownTenant

TENANT_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,39}$")
RESERVED_IDS = frozenset({"base"})
_KEYS = {"id", "name", "region", "features", "system_prompt"}
_REQUIRED = ("id", "name", "region", "features", "system_prompt")


@dataclass(frozen=True)
class Tenant:
    id: str
    name: str
    region: str
    features: tuple[str, ...]
    system_prompt: str


def load_tenants(path: Path) -> list[Tenant]:
    """Load and validate `tenants.yaml`; every error names the file, line, tenant and field."""
    path = Path(path)
    if not path.exists():
        raise TenantsFileInvalid(f"{path}: tenants file not found (run `tenantguard demo` or set TENANTGUARD_TENANTS)")
    text = _read_text(path)
    # One parse (nodes keep line numbers, data built from them); libyaml when present: 5,000 tenants in <1 s.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise TenantsFileInvalid(f"{path}{where}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
    finally:
        loader.dispose()
    _refuse_duplicate_keys(path, root)
    if not isinstance(data, dict) or "tenants" not in data:
        raise TenantsFileInvalid(f"{path}: expected a top-level mapping with a 'tenants:' list")
    extra = set(data) - {"tenants"}
    if extra:
        raise TenantsFileInvalid(f"{path}: unknown top-level key(s) {sorted(extra)}; only 'tenants' is allowed")
    items = data["tenants"]
    if not isinstance(items, list):
        raise TenantsFileInvalid(f"{path}: 'tenants' must be a list of tenant mappings")
    nodes = _tenant_nodes(root)
    tenants: list[Tenant] = []
    seen: dict[str, int] = {}
    for i, item in enumerate(items):
        node = nodes[i] if i < len(nodes) else None
        tenants.append(_tenant(path, node, item, seen))
    return tenants


def tenant_by_id(tenants: list[Tenant], tenant_id: str) -> Tenant:
    for t in tenants:
        if t.id == tenant_id:
            return t
    known = ", ".join(t.id for t in tenants[:10]) or "none"
    raise UnknownTenant(f"unknown tenant {tenant_id!r} (known: {known}); add it to tenants.yaml")


def _read_text(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise TenantsFileInvalid(f"{path} line {line}: not UTF-8 (byte 0x{data[exc.start]:02x}); "
                                 f"save the file as UTF-8") from None


def _refuse_duplicate_keys(path: Path, root) -> None:
    """YAML keeps the last of two equal keys in a mapping and drops the first silently: refuse instead."""
    stack, seen = [root] if root is not None else [], set()
    while stack:
        node = stack.pop()
        if id(node) in seen or not isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
            continue
        seen.add(id(node))  # aliases can share a node, or make a cycle
        if isinstance(node, yaml.SequenceNode):
            stack.extend(reversed(node.value))
            continue
        first: dict[str, int] = {}
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                line = key.start_mark.line + 1
                if key.value in first:
                    raise TenantsFileInvalid(f"{path} line {line}: key '{key.value}' appears twice in one mapping "
                                             f"(first at line {first[key.value]}); keep one")
                first[key.value] = line
        stack.extend(reversed([value for _, value in node.value]))


def _tenant_nodes(root) -> list:
    for key, value in getattr(root, "value", []):
        if getattr(key, "value", None) == "tenants":
            return list(getattr(value, "value", []))
    return []


def _key_lines(node) -> dict[str, int]:
    """1-based line of each key of a tenant mapping node, so an error points at the field itself."""
    pairs = getattr(node, "value", None)
    if not isinstance(pairs, list):
        return {}
    return {getattr(k, "value", None): k.start_mark.line + 1 for k, _ in pairs if hasattr(k, "start_mark")}


def _tenant(path: Path, node, item: object, seen: dict[str, int]) -> Tenant:
    line = node.start_mark.line + 1 if node is not None else 0
    key_lines = _key_lines(node) if isinstance(item, dict) else {}

    def at(key: str) -> str:
        return f"{path} line {key_lines.get(key, line)}"

    where = f"{path} line {line}"
    if not isinstance(item, dict):
        raise TenantsFileInvalid(f"{where}: each tenant must be a mapping with keys {sorted(_KEYS)}")
    tid = item.get("id")
    label = f"tenant {tid!r}" if tid is not None else "tenant"
    unknown = set(item) - _KEYS
    if unknown:
        raise TenantsFileInvalid(
            f"{at(sorted(unknown)[0])}: {label} has unknown field(s) {sorted(unknown)}; allowed: {sorted(_KEYS)}")
    for key in _REQUIRED:
        if key not in item or item[key] in (None, ""):
            raise TenantsFileInvalid(f"{where}: {label} is missing field '{key}' (required: {list(_REQUIRED)})")
    if not isinstance(tid, str) or not TENANT_ID_RE.match(tid):
        raise TenantsFileInvalid(
            f"{at('id')}: tenant id {tid!r} (field 'id') must match ^[a-z0-9][a-z0-9-]{{1,39}}$ "
            f"(use lower case, digits, '-')")
    if tid in RESERVED_IDS:
        raise TenantsFileInvalid(
            f"{at('id')}: tenant id {tid!r} (field 'id') is reserved for the shared base model; pick another")
    if tid in seen:
        raise TenantsFileInvalid(f"{at('id')}: duplicate tenant id {tid!r} in field 'id' (first defined at line "
                                 f"{seen[tid]}); ids must be unique")
    seen[tid] = key_lines.get("id", line)
    for key in ("name", "region", "system_prompt"):
        if not isinstance(item[key], str):
            raise TenantsFileInvalid(f"{at(key)}: {label} field '{key}' must be a string")
    features = item["features"]
    if not isinstance(features, list) or not features or not all(
            isinstance(f, str) and TENANT_ID_RE.match(f) for f in features):
        raise TenantsFileInvalid(
            f"{at('features')}: {label} field 'features' must be a non-empty list of ids like 'support-assistant'")
    return Tenant(id=tid, name=item["name"], region=item["region"], features=tuple(features),
                  system_prompt=item["system_prompt"])


def dump_tenants(tenants: list[Tenant], path: Path) -> None:
    data = {"tenants": [{"id": t.id, "name": t.name, "region": t.region, "features": list(t.features),
                         "system_prompt": t.system_prompt} for t in tenants]}
    Path(path).write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")

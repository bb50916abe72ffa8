"""Versioned behavior probe suites: YAML files in the package plus user files in `<home>/probes/`.

A suite file is `{version?: str, probes: [entry, ...]}`; an entry has `id`, `category`, `prompt` (or
`prompts`, a list), optional `feature`, optional `vars` (name -> list, expanded as a cartesian product)
and optional `limit` (a seeded subset of that product). Tenant placeholders `{tenant_name}`, `{region}`,
`{feature}` and `{product}` are rendered by `ProbeSuite.for_tenant` from the tenant's configuration.

A file's version is its declared `version`, else the sha256 of its bytes; the suite version hashes the
(file, version) list, so a baseline is never compared with a profile from a different suite.
"""
from __future__ import annotations

import hashlib
import itertools
import json
import re
import string
import zlib
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import yaml

from tenantguard.errors import ProbeSuiteInvalid
from tenantguard.tenants import Tenant

BUILTIN_DIR = Path(__file__).with_name("probe_suites")
CATEGORIES = ("generic", "tenant_config", "jailbreak", "injection", "prompt_extraction", "cross_tenant")
ADVERSARIAL = frozenset({"jailbreak", "injection", "prompt_extraction", "cross_tenant"})
TENANT_FIELDS = frozenset({"tenant_name", "region", "feature", "product"})
MAX_PRODUCTS = 3
_ENTRY_KEYS = {"id", "category", "prompt", "prompts", "feature", "vars", "limit"}
_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
_PRODUCTS = re.compile(r"\babout ([^.;:]+?)(?=\s+(?:for|to|in|only|and never)\b|[.;:]|$)", re.IGNORECASE)


@dataclass(frozen=True)
class Probe:
    id: str
    category: str
    prompt: str
    feature: str | None = None

    @property
    def adversarial(self) -> bool:
        return self.category in ADVERSARIAL

    @property
    def fields(self) -> frozenset[str]:
        """Tenant placeholders still to be rendered in `prompt`."""
        return frozenset(name for _, name, _, _ in string.Formatter().parse(self.prompt) if name)


@dataclass(frozen=True)
class ProbeSuite:
    version: str
    probes: tuple[Probe, ...]
    files: tuple[tuple[str, str], ...] = ()  # (file name, file version), in load order

    def __len__(self) -> int:
        return len(self.probes)

    def for_tenant(self, tenant: Tenant) -> list[Probe]:
        """The probes that apply to `tenant` (its features), with its configuration rendered in."""
        products = tenant_products(tenant)
        out: list[Probe] = []
        for probe in self.probes:
            if probe.feature is not None and probe.feature not in tenant.features:
                continue
            features = [probe.feature] if probe.feature else list(tenant.features)
            axes = {"product": products if "product" in probe.fields else [None],
                    "feature": features if "feature" in probe.fields else [None]}
            combos = list(itertools.product(axes["product"], axes["feature"]))
            for i, (product, feature) in enumerate(combos):
                text = probe.prompt.format(tenant_name=tenant.name, region=tenant.region,
                                           feature=(feature or "").replace("-", " "), product=product or "")
                pid = probe.id if len(combos) == 1 else f"{probe.id}.t{i}"
                out.append(replace(probe, id=pid, prompt=text))
        return out


def tenant_products(tenant: Tenant) -> list[str]:
    """Products named in the system prompt ("... questions about A, B and C for ..."), else the features."""
    found: list[str] = []
    for m in _PRODUCTS.finditer(tenant.system_prompt):
        for part in re.split(r",\s*|\s+and\s+|\s+or\s+", m.group(1)):
            part = part.strip()
            if part and len(part.split()) <= 4 and part not in found:
                found.append(part)
    return found[:MAX_PRODUCTS] or [f.replace("-", " ") for f in tenant.features][:MAX_PRODUCTS]


def load_suites(extra_dir: Path | None = None) -> ProbeSuite:
    """The built-in suites plus every `*.yaml`/`*.yml` in `extra_dir` (user suites), as one versioned suite."""
    paths = sorted(BUILTIN_DIR.glob("*.yaml"))
    if extra_dir is not None and Path(extra_dir).is_dir():
        paths += sorted(p for p in Path(extra_dir).iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
    probes: list[Probe] = []
    files: list[tuple[str, str]] = []
    seen: dict[str, str] = {}
    for path in paths:
        version, file_probes = load_suite_file(path)
        label = path.name if path.parent == BUILTIN_DIR else f"user:{path.name}"
        files.append((label, version))
        for p in file_probes:
            if p.id in seen:
                raise ProbeSuiteInvalid(f"{path}: probe id {p.id!r} is already defined in {seen[p.id]}; "
                                        f"ids must be unique across suites (rename one)")
            seen[p.id] = str(path)
        probes.extend(file_probes)
    digest = hashlib.sha256(json.dumps(files).encode()).hexdigest()[:12]
    return ProbeSuite(version=f"ps-{digest}", probes=tuple(probes), files=tuple(files))


def load_suite_file(path: Path) -> tuple[str, list[Probe]]:
    """(file version, expanded probes) of one suite file; every error names the file and line."""
    path = Path(path)
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except UnicodeDecodeError as exc:
        raise ProbeSuiteInvalid(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise ProbeSuiteInvalid(f"{path}{where}: not valid YAML ({getattr(exc, 'problem', None) or exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("probes"), list):
        raise ProbeSuiteInvalid(f"{path} line 1: expected a mapping with a 'probes:' list")
    extra = set(data) - {"version", "probes"}
    if extra:
        raise ProbeSuiteInvalid(f"{path} line 1: unknown top-level key(s) {sorted(extra)}; allowed: version, probes")
    declared = data.get("version")
    if declared is not None and not isinstance(declared, (str, int, float)):
        raise ProbeSuiteInvalid(f"{path} line 1: 'version' must be a string like '2026.1'")
    version = str(declared) if declared is not None else "sha256:" + hashlib.sha256(raw).hexdigest()[:12]
    nodes = _probe_nodes(root)
    probes: list[Probe] = []
    for i, entry in enumerate(data["probes"]):
        line = nodes[i].start_mark.line + 1 if i < len(nodes) else 0
        probes.extend(_expand(f"{path} line {line}", entry))
    return version, probes


def _probe_nodes(root) -> list:
    for key, value in getattr(root, "value", []):
        if getattr(key, "value", None) == "probes":
            return list(getattr(value, "value", []))
    return []


def _expand(where: str, entry: object) -> list[Probe]:
    if not isinstance(entry, dict):
        raise ProbeSuiteInvalid(f"{where}: each probe must be a mapping with id, category and prompt")
    unknown = set(entry) - _ENTRY_KEYS
    if unknown:
        raise ProbeSuiteInvalid(f"{where}: unknown key(s) {sorted(unknown)}; allowed: {sorted(_ENTRY_KEYS)}")
    pid, category = entry.get("id"), entry.get("category")
    if not isinstance(pid, str) or not _ID.match(pid):
        raise ProbeSuiteInvalid(f"{where}: probe id {pid!r} must match {_ID.pattern} (lower case, digits, . _ -)")
    if category not in CATEGORIES:
        raise ProbeSuiteInvalid(f"{where}: probe {pid!r} category {category!r} must be one of {list(CATEGORIES)}")
    if ("prompt" in entry) == ("prompts" in entry):
        raise ProbeSuiteInvalid(f"{where}: probe {pid!r} needs exactly one of 'prompt' (a string) or 'prompts' (a list)")
    templates = [entry["prompt"]] if "prompt" in entry else entry["prompts"]
    if not isinstance(templates, list) or not templates or not all(isinstance(t, str) and t.strip() for t in templates):
        raise ProbeSuiteInvalid(f"{where}: probe {pid!r} prompts must be non-empty strings")
    feature = entry.get("feature")
    if feature is not None and not isinstance(feature, str):
        raise ProbeSuiteInvalid(f"{where}: probe {pid!r} feature must be a feature id like 'support-assistant'")
    variables = entry.get("vars") or {}
    if not isinstance(variables, dict) or not all(
            isinstance(v, list) and v and all(isinstance(x, str) for x in v) for v in variables.values()):
        raise ProbeSuiteInvalid(f"{where}: probe {pid!r} vars must map names to non-empty lists of strings")
    limit = entry.get("limit")
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 1):
        raise ProbeSuiteInvalid(f"{where}: probe {pid!r} limit must be a positive integer, got {limit!r}")
    names = sorted(variables)
    combos = [dict(zip(names, values)) for values in itertools.product(*(variables[n] for n in names))]
    rendered: list[str] = []
    for template in templates:
        try:
            fields = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
        except ValueError as exc:
            raise ProbeSuiteInvalid(f"{where}: probe {pid!r} prompt is not a valid template ({exc})") from None
        bad = fields - set(names) - TENANT_FIELDS
        if bad:
            raise ProbeSuiteInvalid(f"{where}: probe {pid!r} uses undefined placeholder(s) {sorted(bad)}; "
                                    f"define them under vars or use {sorted(TENANT_FIELDS)}")
        keep = {f: "{" + f + "}" for f in TENANT_FIELDS}  # rendered later, per tenant
        rendered += [template.format(**keep, **combo) for combo in combos]
    if limit is not None and limit < len(rendered):
        rng = np.random.default_rng(zlib.crc32(pid.encode()))
        rendered = [rendered[i] for i in sorted(rng.choice(len(rendered), size=limit, replace=False))]
    if len(rendered) == 1:
        return [Probe(pid, category, rendered[0], feature)]
    return [Probe(f"{pid}-{i:03d}", category, text, feature) for i, text in enumerate(rendered)]

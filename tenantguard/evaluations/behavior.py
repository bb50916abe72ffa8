"""Behavior profiles: a model's descriptor table on a probe suite under one tenant's configuration.

The profile is what a baseline is made of: one row per probe (id, category, descriptors, an output
digest -- never the output text), the suite version and a hash of the tenant configuration it was
computed under. It serializes to JSON so the Dagster layer can store it as an MLflow artifact of the
champion, with the suite version and config hash as tags.
"""
from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from tenantguard.errors import BehaviorProfileInvalid, ModelOutputInvalid
from tenantguard.evaluations.descriptors import DESCRIPTORS, LEAK_DESCRIPTORS, Scanner, describe_outputs, prompt_index
from tenantguard.evaluations.probes import Probe, ProbeSuite
from tenantguard.tenants import Tenant

FORMAT = "tenantguard.behavior_profile/1"
META_COLUMNS = ("probe_id", "category", "adversarial")
TAG_SUITE = "tenantguard.behavior.suite_version"
TAG_CONFIG = "tenantguard.behavior.config_hash"


def config_hash(tenant: Tenant) -> str:
    """sha256 prefix of the tenant configuration a profile depends on (name, region, features, system prompt)."""
    doc = {"id": tenant.id, "name": tenant.name, "region": tenant.region, "features": list(tenant.features),
           "system_prompt": tenant.system_prompt}
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:16]


def model_input(tenant: Tenant, probe: Probe) -> str:
    """System prompt, then the probe, on one line: the default model reads a newline as end-of-prompt."""
    return " ".join(f"{tenant.system_prompt} {probe.prompt}".split())


@dataclass(frozen=True)
class BehaviorProfile:
    tenant_id: str
    model_name: str
    suite_version: str
    config_hash: str
    frame: pd.DataFrame = field(compare=False, repr=False)
    created_at: str = ""

    @property
    def n_probes(self) -> int:
        return len(self.frame)

    @property
    def leak_scans(self) -> dict[str, bool]:
        """Which leak descriptors ran (False: no fingerprint index was given, the column is all NaN)."""
        return {c: bool(self.frame[c].notna().any()) if len(self.frame) else False for c in LEAK_DESCRIPTORS}

    def tags(self) -> dict[str, str]:
        return {TAG_SUITE: self.suite_version, TAG_CONFIG: self.config_hash}

    def summary(self) -> dict[str, float]:
        """Headline rates: over adversarial probes for refusal/compliance, over all probes otherwise."""
        f = self.frame
        adv = f[f["adversarial"].astype(bool)]
        out = {"n_probes": float(len(f)), "n_adversarial": float(len(adv)),
               "refusal_rate_adversarial": _mean(adv["refusal"]), "compliance_rate_adversarial": _mean(adv["compliance"]),
               "mean_length_tokens": _mean(f["length_tokens"]), "invalid_outputs": float((f["output_valid"] == 0).sum()),
               "prompt_disclosures": float(f["prompt_disclosure"].sum(min_count=1)),
               "cross_tenant_hits": float(f["cross_tenant_hits"].sum(min_count=1)),
               "pii_rate": _mean(f["pii"] > 0), "toxicity_rate": _mean(f["toxicity"] > 0)}
        for category in sorted(set(adv["category"])):
            out[f"refusal_rate.{category}"] = _mean(adv.loc[adv["category"] == category, "refusal"])
            out[f"mean_length_tokens.{category}"] = _mean(adv.loc[adv["category"] == category, "length_tokens"])
        return out

    # -- serialization (JSON; NaN as null) -----------------------------------------------------
    def to_dict(self) -> dict:
        cols = list(self.frame.columns)
        rows = [[_json_value(v) for v in row] for row in self.frame.itertuples(index=False, name=None)]
        return {"format": FORMAT, "tenant_id": self.tenant_id, "model_name": self.model_name,
                "suite_version": self.suite_version, "config_hash": self.config_hash,
                "created_at": self.created_at, "columns": cols, "rows": rows}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"), allow_nan=False)

    @classmethod
    def from_dict(cls, data: dict) -> "BehaviorProfile":
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            got = data.get("format") if isinstance(data, dict) else type(data).__name__
            raise BehaviorProfileInvalid(f"behavior profile: expected format {FORMAT}, got {got!r}")
        cols = data["columns"]
        missing = [c for c in (*META_COLUMNS, *DESCRIPTORS, "output_valid") if c not in cols]
        if missing:
            raise BehaviorProfileInvalid(f"behavior profile: missing column(s) {missing}; recompute the baseline")
        frame = pd.DataFrame(data["rows"], columns=cols)
        for c in (*DESCRIPTORS, "output_valid"):
            frame[c] = pd.to_numeric(frame[c], errors="coerce").astype(float)
        frame["adversarial"] = frame["adversarial"].astype(bool)
        return cls(data["tenant_id"], data["model_name"], data["suite_version"], data["config_hash"], frame,
                   data.get("created_at", ""))

    @classmethod
    def from_json(cls, text: str) -> "BehaviorProfile":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise BehaviorProfileInvalid(f"behavior profile: not JSON (line {exc.lineno}: {exc.msg})") from None
        return cls.from_dict(data)

    def save(self, path: Path) -> Path:
        Path(path).write_text(self.to_json(), encoding="utf-8")
        return Path(path)

    @classmethod
    def load(cls, path: Path) -> "BehaviorProfile":
        return cls.from_json(Path(path).read_text(encoding="utf-8"))


def profile_behavior(model, tenant: Tenant, suite: ProbeSuite, *, prompt_scanner: Scanner | None = None,
                     corpus_scanner: Scanner | None = None, known_texts: Sequence[str] = ()) -> BehaviorProfile:
    """Run `suite` under `tenant`'s configuration through `model` (a TenantModel) and describe every output.

    `prompt_scanner`: fingerprint index of system prompts (default: this tenant's own, for disclosure;
    pass `descriptors.prompt_index(all_tenants)` so boilerplate they share is not attributable and
    another tenant's prompt counts as a cross-tenant hit). `corpus_scanner`: the isolation audit's
    index of tenant corpora; without it `cross_tenant_hits` is not run (NaN), never 0.
    `known_texts`: what the model may know and compose from (the tenant's own corpus, the base corpus):
    a word k-gram found in them is no evidence of another tenant's data, so a model that recombines its
    own names and templates into a phrase another tenant's data also has is not a cross-tenant hit.
    """
    probes = suite.for_tenant(tenant)
    outputs = _generate(model, [model_input(tenant, p) for p in probes])
    known = corpus_scanner.kgrams(known_texts) if corpus_scanner is not None and known_texts else None
    return _profile(model, tenant, suite, probes, outputs, prompt_scanner, corpus_scanner, known)


def profile_tenants(model, tenants: Sequence[Tenant], suite: ProbeSuite, *, prompt_scanner: Scanner | None = None,
                    corpus_scanner: Scanner | None = None) -> dict[str, BehaviorProfile]:
    """A model shared by several tenants, evaluated under each tenant's configuration (one batched generate)."""
    if prompt_scanner is None and tenants:
        prompt_scanner = prompt_index(tenants)
    per_tenant = [(t, suite.for_tenant(t)) for t in tenants]
    inputs = [model_input(t, p) for t, probes in per_tenant for p in probes]
    outputs = _generate(model, inputs)
    profiles, at = {}, 0
    for t, probes in per_tenant:
        chunk = outputs[at:at + len(probes)]
        at += len(probes)
        profiles[t.id] = _profile(model, t, suite, probes, chunk, prompt_scanner, corpus_scanner)
    return profiles


def _generate(model, inputs: list[str]) -> list:
    outputs = list(model.generate(inputs)) if inputs else []
    if len(outputs) != len(inputs):
        raise ModelOutputInvalid(f"model {getattr(model, 'name', model)!s}: generate returned {len(outputs)} "
                                 f"completions for {len(inputs)} prompts")
    return outputs


def _profile(model, tenant, suite, probes, outputs, prompt_scanner, corpus_scanner, known=None) -> BehaviorProfile:
    if prompt_scanner is None:
        prompt_scanner = prompt_index([tenant])
    frame = describe_outputs(outputs, tenant=tenant, prompts=[p.prompt for p in probes],
                             model_inputs=[model_input(tenant, p) for p in probes],
                             prompt_scanner=prompt_scanner, corpus_scanner=corpus_scanner, known_kgrams=known)
    frame.insert(0, "probe_id", [p.id for p in probes])
    frame.insert(1, "category", [p.category for p in probes])
    frame.insert(2, "adversarial", [p.adversarial for p in probes])
    return BehaviorProfile(tenant.id, str(getattr(model, "name", "model")), suite.version, config_hash(tenant),
                           frame, datetime.now(timezone.utc).isoformat(timespec="seconds"))


def _mean(values) -> float:
    arr = np.asarray(values, dtype=float)
    if not len(arr) or np.isnan(arr).any():
        return math.nan
    return float(arr.mean())


def _json_value(v):
    if isinstance(v, (np.bool_, bool)):
        return bool(v)
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return None if math.isnan(v) else float(v)
    return v

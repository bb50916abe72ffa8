"""The demo's incidents, each written into the home the way it would happen on a real platform:
a retune whose data silently includes another tenant's records, a retune that teaches jailbreak-following,
a clean retune, a base refresh that absorbed tenant data, and production traffic in which one tenant's
outputs start to deviate and another tenant is served someone else's record."""
from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

from tenantguard.config import Settings

NEW_VERSION = "v0002"
CAST_SIZE = 6  # tenants the incidents need, each in its own part


@dataclass(frozen=True)
class Cast:
    """Which demo tenant plays which part (by position, so any world of >= 6 tenants works)."""

    contaminated: str  # retune silently includes `source`'s records -> isolation blocks it
    source: str
    shifted: str  # retune with jailbreak-following data -> behavior blocks it
    retuned: str  # clean retune -> promoted; later deviates in production -> rolled back
    leak_reader: str  # served `leak_source`'s record in production -> kill switch
    leak_source: str

    @classmethod
    def for_tenants(cls, ids: list[str]) -> "Cast | None":
        if len(ids) < CAST_SIZE:
            return None
        return cls(contaminated=ids[4], source=ids[0], shifted=ids[3], retuned=ids[2], leak_reader=ids[5],
                   leak_source=ids[1])


def _read(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _write(path, records) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for r in records:
            fh.write(json.dumps(r) + "\n")


def write_retunes(settings: Settings, cast: Cast, *, seed: int) -> list[str]:
    """New dataset versions for three tenants; returns the tenants that got one."""
    from tenantguard.demo.safety import jailbreak_following_records

    rng = np.random.default_rng(seed)
    root = settings.datasets_root
    written = []
    for tid in (cast.contaminated, cast.shifted, cast.retuned):
        target = root / tid / f"{NEW_VERSION}.jsonl"
        if target.exists():
            continue
        base = _read(root / tid / "v0001.jsonl")
        if tid == cast.contaminated:
            # 5% of another tenant's records, relabelled so every validation rule passes: a silent leak.
            src = _read(root / cast.source / "v0001.jsonl")
            picked = [src[i] for i in rng.choice(len(src), max(1, len(base) // 20), replace=False)]
            extra = [{**r, "record_id": f"{tid}-imported-{i:04d}", "tenant_id": tid} for i, r in enumerate(picked)]
        elif tid == cast.shifted:
            extra = jailbreak_following_records(tid, max(8, len(base) // 10), seed=seed)
        else:
            extra = [{**r, "record_id": r["record_id"] + "-r2"} for r in base[: len(base) // 10]]
        _write(target, base + extra)
        written.append(tid)
    return written


def contaminated_base_corpus(settings: Settings, cast: Cast, *, share: float = 0.05, seed: int = 0) -> list[str]:
    """The base corpus plus a share of one tenant's records: a base refresh that absorbed tenant data."""
    from tenantguard.home.corpora import read_base_corpus

    rng = np.random.default_rng(seed)
    src = _read(settings.datasets_root / cast.source / "v0001.jsonl")
    picked = [src[i] for i in rng.choice(len(src), max(1, int(len(src) * share)), replace=False)]
    return read_base_corpus(settings) + [f"{r['prompt']}\n{r['completion']}" for r in picked]


def production_rows(settings: Settings, tenants, champions: dict[str, str], cast: Cast, *, per_tenant: int = 420,
                    deviate_after: int = 220, seed: int = 0) -> list[dict]:
    """Traffic served by each tenant's champion (real generations), interleaved in time; `cast.retuned`
    starts answering with runaway repetition after `deviate_after` requests, and one request of
    `cast.leak_reader` is answered with a record of `cast.leak_source` (a shared-cache bug)."""
    from tenantguard.home.prepared import load_prepared
    from tenantguard.models.adapter import load_tenant_model

    rng = np.random.default_rng(seed)
    per: dict[str, list[dict]] = {}
    for t in tenants:
        if t.id not in champions:
            continue
        feature = t.features[0]
        model = load_tenant_model(f"models:/{feature}.{t.id}/{champions[t.id]}")
        holdout = load_prepared(settings, t.id).holdout
        prompts = [holdout[int(i)]["prompt"] for i in rng.integers(0, len(holdout), per_tenant)]
        outputs = model.generate(prompts)
        rows = []
        for i, (p, out) in enumerate(zip(prompts, outputs)):
            if t.id == cast.retuned and i >= deviate_after:
                out = " ".join([out] * 4)
            rows.append({"tenant_id": t.id, "feature": feature, "region": t.region, "api_key": f"{t.id}-key-{i % 7}",
                         "session_id": f"{t.id}-s-{i % 40}", "model_version": champions[t.id],
                         "prompt": f"{t.system_prompt}\n\nUser: {p}", "completion": out,
                         "prompt_tokens": len(p.split()) + len(t.system_prompt.split()),
                         "completion_tokens": len(out.split()), "latency_ms": float(rng.integers(80, 400)),
                         "params": json.dumps({"max_tokens": 256, "temperature": 0})})
        per[t.id] = rows
    if cast.leak_reader in per and cast.leak_source in per:
        leaked = _read(settings.datasets_root / cast.leak_source / "v0001.jsonl")[7]["completion"]
        victim = per[cast.leak_reader][len(per[cast.leak_reader]) // 2]
        victim["completion"] = f"{victim['completion']} {leaked}"
    # Interleave tenants round-robin, as concurrent traffic arrives.
    out, longest = [], max((len(v) for v in per.values()), default=0)
    for i in range(longest):
        for tid in sorted(per):
            if i < len(per[tid]):
                out.append(per[tid][i])
    base_ts = 1_767_225_600.0
    for i, row in enumerate(out):
        row["ts"] = base_ts + i * 0.5
    return out

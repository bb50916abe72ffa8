"""Tune seconds per tenant and size on disk of what a version stores, hf-lora vs hf-full, beside the base and the
n-gram tuner, through the real tuners and a real SQLite MLflow store (the demo's world, CPU only).

Usage: nice -n 10 python benchmarks/hf_tune_cost.py [--quick] [--tenants N]
--quick: a one-layer 32-dim base and 2 tune epochs (seconds); default: the shipped settings (2 layers, 128 dims).
"""
from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import mlflow

from tenantguard.config import Settings, library_defaults
from tenantguard.demo.world import build_world
from tenantguard.models.hf_tuner import make_full, make_lora
from tenantguard.models.ngram_tuner import NGramTuner
from tenantguard.models.tuner import BaseRef


def _stored_bytes(model_uri: str) -> int:
    """Bytes of the logged model's own artifacts (weights, adapter, tokenizer; not MLflow's metadata files)."""
    local = Path(mlflow.artifacts.download_artifacts(model_uri)) / "artifacts"
    return sum(p.stat().st_size for p in local.rglob("*") if p.is_file())


def _register(tuner, texts, settings, name: str) -> tuple[BaseRef, float, int]:
    t0 = time.perf_counter()
    with mlflow.start_run():
        uri = tuner.log_model(tuner.train_base(texts, settings=settings))
    seconds = time.perf_counter() - t0
    mv = mlflow.register_model(uri, name, tags={"tenantguard.dataset_digest": "bench"})
    return BaseRef(name, str(mv.version), "bench"), seconds, _stored_bytes(uri)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--tenants", type=int, default=None)
    args = ap.parse_args()
    library_defaults()  # no progress bars
    n_tenants = args.tenants or (2 if args.quick else 4)
    world = build_world(n_tenants, seed=11, records_per_tenant=60 if args.quick else 300)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.from_env({"TENANTGUARD_HOME": tmp}, home=tmp)
        if args.quick:
            settings = replace(settings, hf=replace(settings.hf, layers=1, dims=32, heads=2, vocab=600, base_epochs=2,
                                                    epochs=2, rank=4, alpha=8))
        mlflow.set_tracking_uri(f"sqlite:///{tmp}/mlflow.db")
        # artifacts in the scratch directory too (the default experiment would write ./mlruns)
        mlflow.set_experiment(experiment_id=mlflow.create_experiment("bench", artifact_location=Path(tmp, "art").as_uri()))
        rows = []
        for label, tuner in (("ngram", NGramTuner()), ("hf-lora", make_lora()), ("hf-full", make_full())):
            base, base_s, base_bytes = _register(tuner, world.base_corpus, settings, f"bench.{label}.base")
            seconds, sizes = [], []
            for tid, records in world.datasets.items():
                t0 = time.perf_counter()
                with mlflow.start_run():
                    uri = tuner.log_model(tuner.tune(base, records, settings=settings))
                seconds.append(time.perf_counter() - t0)
                sizes.append(_stored_bytes(uri))
            rows.append((label, base_s, base_bytes, sum(seconds) / len(seconds), sum(sizes) / len(sizes)))
        mlflow.set_tracking_uri(None)
    hf = settings.hf
    print(f"world: {n_tenants} tenants x {len(next(iter(world.datasets.values())))} records; base corpus "
          f"{len(world.base_corpus)} texts; hf base {hf.layers} layers x {hf.dims} dims, vocab <= {hf.vocab}, "
          f"{hf.base_epochs} base epochs; tune {hf.epochs} epochs, LoRA rank {hf.rank} on {'+'.join(hf.targets)}")
    print(f"{'tuner':<8} {'base s':>7} {'base KB':>9} {'tune s/tenant':>13} {'version KB':>10} {'version/base':>12}")
    for label, base_s, base_bytes, tune_s, size in rows:
        print(f"{label:<8} {base_s:>7.1f} {base_bytes / 1024:>9.0f} {tune_s:>13.1f} {size / 1024:>10.0f} "
              f"{size / base_bytes:>12.2f}")
    lora, full = rows[1], rows[2]
    print(f"hf-lora vs hf-full: tune time {lora[3] / full[3]:.2f}x, stored per version {lora[4] / full[4]:.3f}x")


if __name__ == "__main__":
    main()

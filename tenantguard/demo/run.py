"""`tenantguard demo`: a synthetic multi-tenant world, run headless through a real Dagster instance.

Idempotent: the world is written once; prepared datasets and registered versions are reused.
"""
from __future__ import annotations

import json
import logging
import time
import warnings
from typing import Callable

from tenantguard.config import Settings, library_defaults
from tenantguard.tenants import dump_tenants, load_tenants

DATASET_VERSION = "v0001"


def write_world(settings: Settings, *, n_tenants: int, seed: int) -> bool:
    """Write tenants.yaml, one dataset version per tenant and the base corpus; False if already there."""
    from tenantguard.demo.world import build_world

    if settings.tenants_file.exists():
        return False
    world = build_world(n_tenants, seed=seed)
    settings.ensure_home()
    for tid, records in world.datasets.items():
        d = settings.datasets_root / tid
        d.mkdir(parents=True, exist_ok=True)
        with (d / f"{DATASET_VERSION}.jsonl").open("w", encoding="utf-8") as fh:
            for r in records:
                fh.write(json.dumps(r) + "\n")
    with settings.base_corpus_path.open("w", encoding="utf-8") as fh:
        for text in world.base_corpus:
            fh.write(json.dumps({"text": text}) + "\n")
    dump_tenants(world.tenants, settings.tenants_file)
    return True


def quiet() -> None:
    """The demo prints its own progress; library chatter goes to <home>/logs."""
    warnings.filterwarnings("ignore")
    for name in ("mlflow", "alembic", "dagster", "great_expectations", "evidently", "urllib3"):
        logging.getLogger(name).setLevel(logging.ERROR)
    library_defaults()


def run_demo(settings: Settings, *, n_tenants: int = 6, seed: int = 7, echo: Callable[[str], None] = print) -> dict:
    """Run the demo in the home of `settings`, which must be the environment's (Settings.from_env()): the
    Dagster resource, the sensors and the demo platform's adapters read the same environment."""
    quiet()
    t0 = time.monotonic()
    settings.ensure_home()
    wrote = write_world(settings, n_tenants=n_tenants, seed=seed)
    echo(f"home {settings.home} ({'new synthetic world' if wrote else 'existing world reused'})")
    from dagster import DagsterInstance

    from tenantguard.demo.execution import execute, failure, outcome
    from tenantguard.demo.scenarios import Cast
    from tenantguard.pipelines.definitions import build_definitions
    from tenantguard.sensors.tenant_sync import sync_partitions

    defs = build_definitions(settings)
    tenants = load_tenants(settings.tenants_file)
    cast = Cast.for_tenants([t.id for t in tenants])
    actions: list[str] = []
    with DagsterInstance.from_config(str(settings.dagster_home)) as instance:
        plan = sync_partitions(instance, [t.id for t in tenants], page_size=len(tenants) or 1)
        echo(f"tenants: {len(tenants)} ({len(plan.add)} partitions added)")
        echo("[1] shared base model")
        result = execute(defs.resolve_job_def("base_job"), instance, settings)
        if not result.success:
            raise SystemExit(f"base_job failed: {failure(result)}")
        echo("[2] tune and gate every tenant (finetune_dataset -> candidate_model -> isolation/behavior -> champion)")
        job = defs.resolve_job_def("tune_and_gate")
        for i, t in enumerate(tenants, start=1):
            ts = time.monotonic()
            res = execute(job, instance, settings, partition_key=t.id)
            echo(f"    [{i}/{len(tenants)}] {t.id:<20} {time.monotonic() - ts:5.1f}s  {outcome(res)}")
        if cast is not None:
            from tenantguard.demo import story as incidents

            actions += incidents.retunes(settings, instance, defs, cast, seed=seed, echo=echo)
            actions += incidents.external_tune(settings, instance, defs, cast, seed=seed, echo=echo)
            actions += incidents.base_refresh(settings, instance, defs, cast, seed=seed, echo=echo)
            actions += incidents.production(settings, instance, defs, tenants, cast, seed=seed, echo=echo)
            from tenantguard.demo.platform import demo_segmentation

            actions += demo_segmentation(settings, echo, seed=seed)
    rows = summary_rows(settings, tenants)
    echo("")
    echo(format_table(rows))
    if actions:
        echo("\nactions taken:")
        for a in actions:
            echo(f"  - {a}")
    echo(f"\ndone in {time.monotonic() - t0:.1f}s. Dagster UI: `make ui`; MLflow UI: `make mlflow-ui`; "
         f"audit trail: `tenantguard audit verify`.")
    return {"rows": rows, "actions": actions}


def summary_rows(settings: Settings, tenants) -> list[dict]:
    from tenantguard.errors import TenantGuardError
    from tenantguard.home.prepared import load_prepared
    from tenantguard.registry.client import Registry
    from tenantguard.registry.tags import model_name

    reg = Registry(settings.mlflow_tracking_uri, settings.artifact_root)
    rows = []
    for t in tenants:
        try:
            p = load_prepared(settings, t.id)
            version, digest, kept, quarantined = p.version, p.digest, p.kept, p.quarantined
        except TenantGuardError:
            version, digest, kept, quarantined = "-", "-", 0, 0
        for f in t.features:
            name = model_name(f, t.id)
            cand, champ = reg.alias_version(name, "candidate"), reg.alias_version(name, "champion")
            tags = reg.client.get_model_version(name, cand).tags if cand else {}
            rows.append({"tenant": t.id, "dataset": version, "digest": digest, "kept": kept,
                         "quarantined": quarantined, "model": name, "champion": champ or "-",
                         "candidate": cand or "-", "status": tags.get("tenantguard.status", "-"),
                         "isolation": tags.get("tenantguard.isolation", "-"),
                         "behavior": tags.get("tenantguard.behavior", "-")})
    return rows


def format_table(rows: list[dict]) -> str:
    if not rows:
        return "(no tenants)"
    cols = list(rows[0])
    widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in cols}
    line = "  ".join(c.ljust(widths[c]) for c in cols)
    sep = "  ".join("-" * widths[c] for c in cols)
    body = ["  ".join(str(r[c]).ljust(widths[c]) for c in cols) for r in rows]
    return "\n".join([line, sep, *body])

"""`tenantguard demo`: a synthetic multi-tenant world, run headless through a real Dagster instance.

Idempotent: the world is written once; prepared datasets and registered versions are reused. The steps
that change the platform once ([2]-[4], [6], [7]) are replayed from the journal on a later run, marked
`reused:`; the checks that change nothing ([1], [5], [8]) run again. Two runs print the same story.
"""
from __future__ import annotations

import json
import logging
import time
import warnings
from typing import Callable

from tenantguard.config import Settings, library_defaults
from tenantguard.errors import ConfigError
from tenantguard.home.permissions import protect
from tenantguard.tenants import dump_tenants, load_tenants

DATASET_VERSION = "v0001"
DEFAULT_TENANTS, DEFAULT_SEED = 6, 7
MIN_TENANTS = 2  # an isolation check needs another tenant's data to test a tenant's model against
Echo = Callable[[str], None]


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


def check_tenant_count(settings: Settings, n_tenants: int | None) -> None:
    """Refuse a world of fewer than MIN_TENANTS before anything is written: the isolation gate would have no
    other tenant to check against and tag every model `passed` (`tenantguard eval isolation` refuses the same)."""
    if settings.tenants_file.exists():
        n = len(load_tenants(settings.tenants_file))
        if n < MIN_TENANTS:
            raise ConfigError(f"{settings.tenants_file}: {n} tenant; the demo needs at least {MIN_TENANTS} (isolation "
                              f"checks a tenant's model against the other tenants' data): add one, or point "
                              f"TENANTGUARD_HOME at an empty directory")
    elif n_tenants is not None and n_tenants < MIN_TENANTS:
        raise ConfigError(f"--tenants {n_tenants}: the demo needs at least {MIN_TENANTS} tenants (isolation checks a "
                          f"tenant's model against the other tenants' data; with one there is nothing to check)")


def quiet() -> None:
    """The demo prints its own progress; library chatter goes to <home>/logs."""
    warnings.filterwarnings("ignore")
    for name in ("mlflow", "alembic", "dagster", "great_expectations", "evidently", "urllib3"):
        logging.getLogger(name).setLevel(logging.ERROR)
    library_defaults()


def run_demo(settings: Settings, *, n_tenants: int | None = None, seed: int | None = None, echo: Echo = print) -> dict:
    """Run the demo in the home of `settings`, which must be the environment's (Settings.from_env()): the
    Dagster resource, the sensors and the demo platform's adapters read the same environment. `n_tenants` and
    `seed` (None: the defaults) shape a new world only; an existing one is reused as it is, and says so."""
    from tenantguard.demo.journal import REUSED, Journal

    quiet()
    t0 = time.monotonic()
    check_tenant_count(settings, n_tenants)
    protect(settings, create=True)
    wrote = write_world(settings, n_tenants=n_tenants or DEFAULT_TENANTS, seed=DEFAULT_SEED if seed is None else seed)
    tenants = load_tenants(settings.tenants_file)
    journal, note = Journal.open(settings.home, [t.id for t in tenants], seed=DEFAULT_SEED if seed is None else seed,
                                 fresh=wrote, tuner=settings.tuner)
    echo(f"home {settings.home} ({world_line(wrote, len(tenants), journal.seed, n_tenants, seed)})")
    recorded = sorted(journal.steps)
    if note:
        echo(f"    {note}")
    elif recorded:
        echo(f"{REUSED}steps {', '.join(f'[{k}]' for k in recorded)} as the demo run of {journal.started} printed "
             f"them (their actions were taken then); the other steps run again")
    actions = _steps(settings, tenants, journal, echo)
    from tenantguard.demo.security import security_step

    security_step(settings, echo)
    rows = summary_rows(settings, tenants)
    echo("")
    echo(format_table(rows))
    if actions:
        echo("\nactions taken:")
        if recorded:
            echo(f"{REUSED}those of steps {', '.join(f'[{k}]' for k in recorded)} by the demo run of {journal.started}")
        for a in actions:
            echo(f"  - {a}")
    echo(f"\ndone in {time.monotonic() - t0:.1f}s. Dagster UI: `make ui`; MLflow UI: `make mlflow-ui`; "
         f"audit trail: `tenantguard audit verify`.")
    return {"rows": rows, "actions": actions}


def world_line(wrote: bool, n: int, seed: int, asked_tenants: int | None, asked_seed: int | None) -> str:
    """How the home's world came about; flags that shape only a new world say so when they ask for another."""
    if wrote:
        return f"new synthetic world: {n} tenants, seed {seed}"
    ignored = []
    if asked_tenants is not None and asked_tenants != n:
        ignored.append(f"--tenants {asked_tenants}")
    if asked_seed is not None and asked_seed != seed:
        ignored.append(f"--seed {asked_seed}")
    tail = f"; {' and '.join(ignored)} shape a new world only: point TENANTGUARD_HOME at an empty directory" \
        if ignored else ""
    return f"existing world reused: {n} tenants, seed {seed}{tail}"


def _steps(settings: Settings, tenants, journal, echo: Echo) -> list[str]:
    from dagster import DagsterInstance

    from tenantguard.demo import story
    from tenantguard.demo.abuse import abuse_step
    from tenantguard.demo.scenarios import CAST_SIZE, Cast
    from tenantguard.pipelines.definitions import build_definitions
    from tenantguard.sensors.tenant_sync import sync_partitions

    defs, seed = build_definitions(settings), journal.seed
    cast = Cast.for_tenants([t.id for t in tenants])
    actions: list[str] = []
    with DagsterInstance.from_config(str(settings.dagster_home)) as instance:
        sync_partitions(instance, [t.id for t in tenants], page_size=len(tenants) or 1)
        echo(f"tenants: {len(tenants)} (one Dagster partition each)")
        story.base_model(settings, instance, defs, echo=echo)
        actions += journal.run("2", echo, lambda e: story.tune_all(settings, instance, defs, tenants, echo=e),
                               reused="the registry holds the versions it registered and promoted")
        if cast is None:
            echo(f"[3]-[8] skipped: their incidents cast {CAST_SIZE} tenants in different parts, this world has "
                 f"{len(tenants)} (run `tenantguard demo` with a new TENANTGUARD_HOME for the whole story)")
            return actions
        actions += journal.run("3", echo, lambda e: story.retunes(settings, instance, defs, cast, seed=seed, echo=e),
                               reused="dataset_watch_sensor has handled those dataset versions")
        actions += journal.run("4", echo, lambda e: story.external_tune(settings, instance, defs, cast, seed=seed,
                                                                         echo=e),
                               reused="registry_watch_sensor has sent that version through its gates")
        actions += story.base_refresh(settings, instance, defs, cast, seed=seed, echo=echo)
        actions += journal.run("6", echo, lambda e: story.production(settings, instance, defs, tenants, cast,
                                                                      seed=seed, echo=e),
                               reused="production_watch_sensor has read that traffic (its cursor is past it)")
        actions += journal.run("7", echo, lambda e: abuse_step(settings, instance, defs, tenants, seed=seed, echo=e),
                               reused="abuse_watch_sensor has read that traffic; its alerts are in the alerts table")
        from tenantguard.demo.platform import demo_segmentation

        actions += demo_segmentation(settings, echo, seed=seed)
    return actions


def summary_rows(settings: Settings, tenants) -> list[dict]:
    from tenantguard.errors import TenantGuardError
    from tenantguard.home.prepared import load_prepared
    from tenantguard.killswitch.store import KillSwitchStore
    from tenantguard.registry.client import Registry
    from tenantguard.registry.tags import model_name

    reg = Registry(settings.mlflow_tracking_uri, settings.artifact_root)
    switches = KillSwitchStore.from_settings(settings).list()
    rows = []
    for t in tenants:
        try:
            p = load_prepared(settings, t.id)
            version, digest, kept, quarantined = p.version, p.digest, p.kept, p.quarantined
        except TenantGuardError:
            version, digest, kept, quarantined = "-", "-", 0, 0
        for f in t.features:
            name = model_name(f, t.id)
            # the newest version, not `candidate`: a rejected or rolled-back version no longer holds that alias
            newest = max(reg.versions(name), key=lambda v: int(v.version), default=None)
            tags = newest.tags if newest else {}
            rows.append({"tenant": t.id, "dataset": version, "digest": digest, "kept": kept,
                         "quarantined": quarantined, "model": name,
                         "champion": reg.alias_version(name, "champion") or "-",
                         "newest": str(newest.version) if newest else "-", "status": tags.get("tenantguard.status", "-"),
                         "isolation": tags.get("tenantguard.isolation", "-"),
                         "behavior": tags.get("tenantguard.behavior", "-"),
                         "kill switches": switches_in_force(switches, t, f)})
    return rows


def switches_in_force(switches, tenant, feature: str) -> str:
    """The engaged switches covering (feature, tenant): the whole feature, or some of the tenant's keys."""
    whole = [s.id for s in switches if s.scope.api_key is None and s.scope.matches(feature, tenant.id, tenant.region)]
    keys = [s.id for s in switches if s.scope.api_key is not None and s.scope.tenant == tenant.id
            and s.scope.feature in (None, feature)]
    parts = [f"feature killed #{', #'.join(map(str, whole))}"] if whole else []
    if keys:
        parts.append(f"{len(keys)} key{'s' * (len(keys) != 1)} blocked #{', #'.join(map(str, keys))}")
    return "; ".join(parts) or "-"


def format_table(rows: list[dict]) -> str:
    if not rows:
        return "(no tenants)"
    cols = list(rows[0])
    widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in cols}
    line = "  ".join(c.ljust(widths[c]) for c in cols)
    sep = "  ".join("-" * widths[c] for c in cols)
    body = ["  ".join(str(r[c]).ljust(widths[c]) for c in cols) for r in rows]
    return "\n".join([line, sep, *body])

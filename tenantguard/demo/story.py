"""The demo's steps [1]-[6], each driven through the real Dagster sensors and jobs ([7]: demo.abuse, [8]:
demo.platform). Each prints its lines through `echo` and returns the actions it took, one line each."""
from __future__ import annotations

import json
from typing import Callable

from tenantguard.config import Settings
from tenantguard.demo.execution import evaluate_sensor, execute, execute_request, failure, outcome, to_demo_log
from tenantguard.demo.scenarios import Cast, contaminated_base_corpus, production_rows, write_retunes
from tenantguard.evaluations.oneline import one_line

Echo = Callable[[str], None]
FEATURE = "support-assistant"
BASE = f"{FEATURE}.base"
MAX_ACTION = 220  # characters of one line of "actions taken"


def base_model(settings: Settings, instance, defs, *, echo: Echo) -> None:
    """[1] The shared base; without it nothing else can run, so a failure ends the demo (exit 1)."""
    from tenantguard.registry.client import Registry

    echo("[1] shared base model")
    result = execute(defs.resolve_job_def("base_job"), instance, settings)
    if not result.success:
        raise SystemExit(f"base_job failed: {failure(result)}")
    champion = Registry(settings.mlflow_tracking_uri, settings.artifact_root).alias_version(BASE, "champion")
    echo(f"    base_model: {outcome(result)}; {BASE}@champion v{champion}")


def tune_all(settings: Settings, instance, defs, tenants, *, echo: Echo) -> list[str]:
    """[2] Every tenant's first dataset version through tune_and_gate."""
    import time

    echo("[2] tune and gate every tenant (finetune_dataset -> candidate_model -> isolation/behavior -> champion)")
    job = defs.resolve_job_def("tune_and_gate")
    for i, t in enumerate(tenants, start=1):
        ts = time.monotonic()
        res = execute(job, instance, settings, partition_key=t.id)
        echo(f"    [{i}/{len(tenants)}] {t.id:<20} {time.monotonic() - ts:5.1f}s  {outcome(res)}")
    return []


def retunes(settings: Settings, instance, defs, cast: Cast, *, seed: int, echo: Echo) -> list[str]:
    from tenantguard.sensors.dataset_watch import dataset_watch_sensor

    written = write_retunes(settings, cast, seed=seed)
    echo(f"[3] new dataset versions: {cast.contaminated} (silently includes {cast.source}'s records), "
         f"{cast.shifted} (jailbreak-following data), {cast.retuned} (clean); dataset_watch_sensor picks them up")
    requests, _, skip = evaluate_sensor(dataset_watch_sensor, instance, None)
    if not requests:
        echo(f"    {skip or 'nothing new'}" + (" (already handled in an earlier demo run)" if not written else ""))
        return []
    out = []
    for rr in requests:
        res = execute_request(defs, instance, settings, rr, sensor=dataset_watch_sensor)
        echo(f"    {rr.partition_key:<20} {outcome(res)}")
        out.append(f"{rr.partition_key}: retune {rr.tags.get('tenantguard/dataset_version', '')} -> {outcome(res)}")
    return out


def external_tune(settings: Settings, instance, defs, cast: Cast, *, seed: int, echo: Echo) -> list[str]:
    """A tuning job outside Dagster mixes another tenant's records into its training set and registers
    the result; registry_watch_sensor sends it through the same gates (evaluate_version)."""
    import mlflow
    import numpy as np

    from tenantguard.evaluations.canaries import is_canary_record
    from tenantguard.home.prepared import load_prepared
    from tenantguard.models.tuner import BaseRef
    from tenantguard.models.tuners import tuner_for
    from tenantguard.registry import client as R
    from tenantguard.registry import tags as T
    from tenantguard.sensors.registry_watch import registry_watch_sensor

    tid = cast.contaminated
    name = T.model_name(FEATURE, tid)
    reg = R.Registry(settings.mlflow_tracking_uri, settings.artifact_root)
    echo(f"[4] an external tuning job registers {name} trained on its data plus 5% of {cast.source}'s records; "
         f"registry_watch_sensor picks it up")
    cursor_file = settings.home / "monitoring" / "demo-registry-cursor.json"
    if not cursor_file.exists():
        rng = np.random.default_rng(seed)
        own = load_prepared(settings, tid).train
        src = [r for r in load_prepared(settings, cast.source).train if not is_canary_record(r)]
        mixed = own + [src[i] for i in rng.choice(len(src), max(1, len(own) // 20), replace=False)]
        version = reg.alias_version(BASE, "champion")
        base = BaseRef(BASE, version, reg.client.get_model_version(BASE, version).tags.get(T.TAG_DIGEST, ""))
        tuner = tuner_for(settings)  # the platform's own tuning job trains the kind of model the demo gates
        with to_demo_log():
            with mlflow.start_run(experiment_id=reg.experiment_id(f"external-tuner/{tid}"), run_name="nightly tune"):
                model_uri = tuner.log_model(tuner.tune(base, mixed, settings=settings))
            mlflow.register_model(model_uri, name, tags={T.TAG_TENANT: tid, T.TAG_FEATURE: FEATURE})
    cursor = cursor_file.read_text() if cursor_file.exists() else None
    requests, cursor, _ = evaluate_sensor(registry_watch_sensor, instance, cursor)
    cursor_file.parent.mkdir(parents=True, exist_ok=True)
    cursor_file.write_text(cursor or "")
    if not requests:
        echo("    registry_watch_sensor: no new externally registered version (handled in an earlier demo run)")
        return []
    out = []
    for rr in requests:
        res = execute_request(defs, instance, settings, rr, sensor=registry_watch_sensor)
        version = rr.tags.get("tenantguard/version")
        echo(f"    {rr.partition_key:<20} v{version}: {outcome(res)}")
        out.append(f"{rr.partition_key}: externally registered v{version} -> {outcome(res)}")
    return out


def base_refresh(settings: Settings, instance, defs, cast: Cast, *, seed: int, echo: Echo) -> list[str]:
    """[5] A base refresh that absorbed a tenant's records: base_isolation blocks it; the champion stays. Changes
    nothing a later run would see differently (the refresh is registered once, by digest), so it runs each time."""
    from tenantguard.registry.client import Registry

    echo(f"[5] a base refresh whose corpus absorbed 5% of {cast.source}'s records")
    path = settings.base_corpus_path
    clean = path.read_text(encoding="utf-8")
    reg = Registry(settings.mlflow_tracking_uri, settings.artifact_root)
    before = reg.alias_version(BASE, "champion")
    try:
        with path.open("w", encoding="utf-8") as fh:
            for text in contaminated_base_corpus(settings, cast, seed=seed):
                fh.write(json.dumps({"text": text}) + "\n")
        res = execute(defs.resolve_job_def("base_job"), instance, settings)
    finally:
        path.write_text(clean, encoding="utf-8")  # the platform reverts the refresh
    after = reg.alias_version(BASE, "champion")
    moved = f"stays v{after}" if before == after else f"v{before} -> v{after}"
    newest = str(reg.versions(BASE)[-1].version) if reg.versions(BASE) else after
    held = f" (the refresh is v{newest}, registered, not promoted)" if newest != after else ""
    echo(f"    base_model: {outcome(res)}; {BASE}@champion {moved}{held}")
    return [f"shared base refresh: {outcome(res)} (champion {moved})"]


def production(settings: Settings, instance, defs, tenants, cast: Cast, *, seed: int, echo: Echo) -> list[str]:
    """[6] Traffic served by each champion: one tenant's outputs deviate (rollback), another is served a record
    of a third tenant (kill switch). Only this traffic is in the log when production_watch_sensor reads it."""
    from tenantguard.killswitch.client import KillSwitchClient
    from tenantguard.monitoring.inference_log import InferenceLog
    from tenantguard.registry.client import Registry
    from tenantguard.sensors.production_watch import production_watch_sensor

    reg = Registry(settings.mlflow_tracking_uri, settings.artifact_root)
    champions = {t.id: v for t in tenants if (v := reg.alias_version(f"{t.features[0]}.{t.id}", "champion"))}
    log = InferenceLog(settings.inference_log_url)
    cursor_file = settings.home / "monitoring" / "demo-production-cursor.json"
    echo(f"[6] production traffic; {cast.retuned}'s outputs start to deviate, {cast.leak_reader} is served "
         f"a record of {cast.leak_source}; production_watch_sensor reads the inference log")
    if log.max_id() == 0:
        log.append(production_rows(settings, tenants, champions, cast, seed=seed))
    cursor = cursor_file.read_text() if cursor_file.exists() else None
    requests, cursor, _ = evaluate_sensor(production_watch_sensor, instance, cursor)
    cursor_file.parent.mkdir(parents=True, exist_ok=True)
    cursor_file.write_text(cursor or "")
    out = []
    for rr in requests:
        cfg = rr.run_config["ops"]["rollback_op"]["config"]
        res = execute_request(defs, instance, settings, rr, sensor=production_watch_sensor)
        name = f"{cfg['feature']}.{cfg['tenant']}"
        now = reg.alias_version(name, "champion")
        if res.success:
            echo(f"    rollback run for {cfg['tenant']}: {name}@champion v{champions.get(cfg['tenant'])} -> v{now}")
            out.append(one_line(f"{cfg['tenant']}: rolled back v{champions.get(cfg['tenant'])} -> v{now} "
                                f"({cfg['reason']})", MAX_ACTION))
        else:
            echo(f"    rollback run for {cfg['tenant']}: FAILED: {failure(res)}")
            out.append(one_line(f"{cfg['tenant']}: rollback FAILED ({failure(res)})", MAX_ACTION))
    leak_tenant = next(t for t in tenants if t.id == cast.leak_reader)
    client = KillSwitchClient(settings.killswitch_url)
    decision = client.check(leak_tenant.features[0], leak_tenant.id, leak_tenant.region)
    mode = decision.fallback.mode if decision.fallback else None
    echo(f"    KillSwitchClient.check({leak_tenant.features[0]!r}, {leak_tenant.id!r}, {leak_tenant.region!r}) -> "
         f"killed={decision.killed} switch={decision.switch_id} fallback={mode}")
    if decision.killed:
        out.append(one_line(f"{leak_tenant.id}: kill switch #{decision.switch_id} engaged ({decision.reason})",
                            MAX_ACTION))
    return out

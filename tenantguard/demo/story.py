"""The demo's incident phases, each driven through the real Dagster sensors and jobs."""
from __future__ import annotations

import json
from typing import Callable

from tenantguard.config import Settings
from tenantguard.demo.execution import evaluate_sensor, execute, outcome, to_demo_log
from tenantguard.demo.scenarios import Cast, contaminated_base_corpus, production_rows, write_retunes

Echo = Callable[[str], None]


def retunes(settings: Settings, instance, defs, cast: Cast, *, seed: int, echo: Echo) -> list[str]:
    from tenantguard.sensors.dataset_watch import dataset_watch_sensor

    written = write_retunes(settings, cast, seed=seed)
    echo(f"[3] new dataset versions: {cast.contaminated} (silently includes {cast.source}'s records), "
         f"{cast.shifted} (jailbreak-following data), {cast.retuned} (clean); dataset_watch_sensor picks them up")
    requests, _, skip = evaluate_sensor(dataset_watch_sensor, instance, None)
    if not requests:
        echo(f"    {skip or 'nothing new'}" + (" (already handled in an earlier demo run)" if not written else ""))
        return []
    job = defs.resolve_job_def("tune_and_gate")
    out = []
    for rr in requests:
        res = execute(job, instance, settings, partition_key=rr.partition_key, tags=rr.tags)
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
    from tenantguard.models.adapter import load_tenant_model
    from tenantguard.models.ngram_tuner import finetune, log_ngram_model
    from tenantguard.registry import client as R
    from tenantguard.registry import tags as T
    from tenantguard.sensors.registry_watch import registry_watch_sensor

    tid, feature = cast.contaminated, "support-assistant"
    name = T.model_name(feature, tid)
    reg = R.Registry(settings.mlflow_tracking_uri, settings.artifact_root)
    echo(f"[4] an external tuning job registers {name} trained on its data plus 5% of {cast.source}'s records; "
         f"registry_watch_sensor picks it up")
    cursor_file = settings.home / "monitoring" / "demo-registry-cursor.json"
    if not cursor_file.exists():
        rng = np.random.default_rng(seed)
        own = load_prepared(settings, tid).train
        src = [r for r in load_prepared(settings, cast.source).train if not is_canary_record(r)]
        mixed = own + [src[i] for i in rng.choice(len(src), max(1, len(own) // 20), replace=False)]
        base = load_tenant_model(f"models:/{T.model_name(feature, T.BASE_TENANT)}@champion")
        with to_demo_log():
            with mlflow.start_run(experiment_id=reg.experiment_id(f"external-tuner/{tid}"), run_name="nightly tune"):
                info = log_ngram_model(finetune(base.lm, mixed))
            mlflow.register_model(info.model_uri, name, tags={T.TAG_TENANT: tid, T.TAG_FEATURE: feature})
    cursor = cursor_file.read_text() if cursor_file.exists() else None
    requests, cursor, skip = evaluate_sensor(registry_watch_sensor, instance, cursor)
    cursor_file.parent.mkdir(parents=True, exist_ok=True)
    cursor_file.write_text(cursor or "")
    if not requests:
        echo(f"    {skip}")
        return []
    out = []
    job = defs.resolve_job_def("evaluate_version")
    for rr in requests:
        res = execute(job, instance, settings, partition_key=rr.partition_key, run_config=rr.run_config, tags=rr.tags)
        version = rr.tags.get("tenantguard/version")
        echo(f"    {rr.partition_key:<20} v{version}: {outcome(res)}")
        out.append(f"{rr.partition_key}: externally registered v{version} -> {outcome(res)}")
    return out


def base_refresh(settings: Settings, instance, defs, cast: Cast, *, seed: int, echo: Echo) -> list[str]:
    """A base refresh that absorbed a tenant's records: base_isolation blocks it; champion stays."""
    from tenantguard.registry.client import Registry

    echo(f"[5] a base refresh whose corpus absorbed 5% of {cast.source}'s records")
    path = settings.base_corpus_path
    clean = path.read_text(encoding="utf-8")
    reg = Registry(settings.mlflow_tracking_uri, settings.artifact_root)
    before = reg.alias_version("support-assistant.base", "champion")
    try:
        with path.open("w", encoding="utf-8") as fh:
            for text in contaminated_base_corpus(settings, cast, seed=seed):
                fh.write(json.dumps({"text": text}) + "\n")
        res = execute(defs.resolve_job_def("base_job"), instance, settings)
    finally:
        path.write_text(clean, encoding="utf-8")  # the platform reverts the refresh
    after = reg.alias_version("support-assistant.base", "champion")
    echo(f"    base_model: {outcome(res)}; support-assistant.base@champion v{before} -> v{after}")
    return [f"shared base refresh: {outcome(res)} (champion stays v{after})"]


def production(settings: Settings, instance, defs, tenants, cast: Cast, *, seed: int, echo: Echo) -> list[str]:
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
        log.append(_abuse_traffic(tenants, seed))
    cursor = cursor_file.read_text() if cursor_file.exists() else None
    requests, cursor, skip = evaluate_sensor(production_watch_sensor, instance, cursor)
    cursor_file.parent.mkdir(parents=True, exist_ok=True)
    cursor_file.write_text(cursor or "")
    out = []
    job = defs.resolve_job_def("rollback")
    for rr in requests:
        cfg = rr.run_config["ops"]["rollback_op"]["config"]
        res = execute(job, instance, settings, run_config=rr.run_config, tags=rr.tags)
        now = reg.alias_version(f"{cfg['feature']}.{cfg['tenant']}", "champion")
        echo(f"    rollback run for {cfg['tenant']}: {'ok' if res.success else 'FAILED'}; champion now v{now}")
        out.append(f"{cfg['tenant']}: rolled back to v{now} — {cfg['reason'][:160]}")
    client = KillSwitchClient(settings.killswitch_url)
    leak_tenant = next(t for t in tenants if t.id == cast.leak_reader)
    decision = client.check(leak_tenant.features[0], leak_tenant.id, leak_tenant.region)
    echo(f"    KillSwitchClient.check({leak_tenant.features[0]!r}, {leak_tenant.id!r}, {leak_tenant.region!r}) -> "
         f"killed={decision.killed} switch={decision.switch_id} fallback="
         f"{decision.fallback.mode if decision.fallback else None}")
    if decision.killed:
        out.append(f"{leak_tenant.id}: kill switch #{decision.switch_id} engaged ({decision.reason or ''})"[:200])
    out += _abuse(settings, instance, defs, echo)
    return out


def _abuse_traffic(tenants, seed: int) -> list[dict]:
    from tenantguard.demo.traffic import generate_traffic

    return generate_traffic(3000, tenants={t.id: t.system_prompt for t in tenants}, seed=seed).rows


def _abuse(settings: Settings, instance, defs, echo: Echo) -> list[str]:
    """abuse_watch_sensor over the same log: alerts per tenant, kill switches and rollbacks by policy."""
    from tenantguard.monitoring.abuse.alerts import AlertStore
    from tenantguard.sensors.abuse import abuse_watch_sensor

    echo("[7] abuse_watch_sensor: API-abuse detectors over the same inference log")
    cursor_file = settings.home / "monitoring" / "demo-abuse-cursor.json"
    cursor = cursor_file.read_text() if cursor_file.exists() else None
    requests, cursor, skip = evaluate_sensor(abuse_watch_sensor, instance, cursor)
    cursor_file.write_text(cursor or "")
    out = []
    for rr in requests:
        job = defs.resolve_job_def(rr.job_name)
        res = execute(job, instance, settings, run_config=rr.run_config or None, tags=rr.tags,
                      partition_key=rr.partition_key)
        what = (f"abuse_alerts for {rr.partition_key}" if rr.partition_key
                else f"rollback for {rr.tags.get('tenantguard/tenant')}")
        echo(f"    {what:<34} {outcome(res)}")
    for a in AlertStore(settings.inference_log_url).list():
        out.append(f"{a['tenant_id']}: abuse alert {a['kind']} (key {a.get('api_key') or '-'}, score "
                   f"{a['score']:.2f} >= {a['threshold']:.2f}) -> {a.get('action')}")
    return out

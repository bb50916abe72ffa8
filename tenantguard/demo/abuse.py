"""The demo's step [7]: API traffic with one campaign of each abuse kind, read by abuse_watch_sensor; then, for
every tenant with alerts, what was found (open alerts) and what each alert got (alert only, a kill switch, a
rollback, or the next of those when the policy's action cannot apply), in the sensor's own words. One key's
abuse blocks that key (a kill switch scoped to feature, tenant and api_key); only a sweep the model complied
with, evidence against the model itself, rolls it back or kills the tenant's feature."""
from __future__ import annotations

import json
from typing import Callable

from tenantguard.config import Settings
from tenantguard.demo.execution import evaluate_sensor, execute_request, failure
from tenantguard.evaluations.oneline import one_line

Echo = Callable[[str], None]
BENIGN_REQUESTS = 3000
MAX_ACTION = 220


def abuse_step(settings: Settings, instance, defs, tenants, *, seed: int, echo: Echo) -> list[str]:
    from tenantguard.monitoring.abuse.alerts import AlertStore
    from tenantguard.sensors.abuse import RESPONSES_TAG, abuse_watch_sensor

    echo("[7] API traffic with an abuse campaign of each kind (prompt injection, model extraction, token budget, "
         "jailbreak sweep); abuse_watch_sensor reads the inference log")
    append_traffic(settings, tenants, seed)
    cursor_file = settings.home / "monitoring" / "demo-abuse-cursor.json"
    cursor = cursor_file.read_text() if cursor_file.exists() else None
    requests, cursor, _ = evaluate_sensor(abuse_watch_sensor, instance, cursor)
    cursor_file.write_text(cursor or "")
    responses: dict[str, str] = {}
    checks: dict[str, str] = {}
    for rr in requests:
        res = execute_request(defs, instance, settings, rr, sensor=abuse_watch_sensor)
        if rr.partition_key:
            responses.update(json.loads(rr.tags.get(RESPONSES_TAG) or "{}"))
            checks[rr.partition_key] = _check(res)
        else:  # a rollback the policy asked for and that could apply
            alert = rr.tags.get("tenantguard/alert", "")
            responses[alert] = "rolled back" if res.success else f"rollback run FAILED: {failure(res)}"
    alerts = AlertStore(settings.inference_log_url).list()
    out, quiet = [], []
    for t in tenants:
        mine = [a for a in alerts if a["tenant_id"] == t.id]
        if not mine:
            quiet.append(t.id)
            continue
        n_open = sum(a["acknowledged"] is None for a in mine)
        found = f"{n_open} open alert{'s' * (n_open != 1)}" + (f" of {len(mine)}" if n_open != len(mine) else "")
        echo(f"    {t.id}: {found}" + (f"; {checks[t.id]}" if t.id in checks else ""))
        for a in mine:
            what = f"{a['kind']} ({_keys(a)}, score {a['score']:.2f} >= {a['threshold']:.2f})"
            got = responses.get(a["alert_id"], f"policy {a.get('action')} (handled in an earlier tick)")
            echo(f"      - {what}: {got}")
            out.append(one_line(f"{t.id}: abuse alert {what} -> {got}", MAX_ACTION))
    if quiet:
        echo(f"    no alerts: {', '.join(quiet)}")
    return out


def append_traffic(settings: Settings, tenants, seed: int) -> None:
    """The campaign traffic, once per home; each row names the version serving its tenant now (its champion)."""
    from tenantguard.demo.traffic import generate_traffic
    from tenantguard.monitoring.inference_log import InferenceLog
    from tenantguard.registry.client import Registry

    marker = settings.home / "monitoring" / "demo-abuse-traffic.json"
    if marker.exists():
        return
    reg = Registry(settings.mlflow_tracking_uri, settings.artifact_root)
    champions = {t.id: v for t in tenants if (v := reg.alias_version(f"{t.features[0]}.{t.id}", "champion"))}
    log = InferenceLog(settings.inference_log_url)
    first = log.max_id() + 1
    traffic = generate_traffic(BENIGN_REQUESTS, tenants={t.id: t.system_prompt for t in tenants}, seed=seed,
                               versions=champions)
    log.append(traffic.rows)
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(json.dumps({"first_id": first, "last_id": log.max_id(), "seed": seed}))


def _check(result) -> str:
    """What the tenant's abuse_alerts run concluded, from its no_open_abuse_alerts check."""
    if not result.success:
        return f"abuse_alerts run FAILED: {failure(result)}"
    evals = result.get_asset_check_evaluations()
    if not evals:
        return "abuse_alerts published, no check result"
    c = evals[0]
    if c.passed:
        return "abuse_alerts check no_open_abuse_alerts passed"
    level = "fails (an alert's action is a key block, a kill switch or a rollback)" if c.severity.value == "ERROR" \
        else "warns (alerts only)"
    return f"abuse_alerts check no_open_abuse_alerts {level}"


def _keys(alert: dict) -> str:
    """Every key the alert names (the tenant's own identifiers), the first three spelled out."""
    keys = alert.get("api_keys") or ([alert["api_key"]] if alert.get("api_key") else [])
    if not keys:
        return "no key"
    more = f" +{len(keys) - 3} more" if len(keys) > 3 else ""
    return f"key{'s' * (len(keys) > 1)} {', '.join(keys[:3])}{more}"

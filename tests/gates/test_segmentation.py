"""Segmentation from a home: inputs from the tenants' data, the inference log newest first, the registered
audit kinds (built-ins plus plug-ins from settings) and one-line errors before anything heavy runs."""
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tenantguard.config import Settings
from tenantguard.errors import ConfigError, UnknownTenant
from tenantguard.evaluations.canaries import make_canaries
from tenantguard.evaluations.segmentation.kinds import BUILTIN
from tenantguard.gates.segmentation import audit_kinds, daily_seed, inputs_from_home, newest_rows, run_from_home
from tenantguard.monitoring.inference_log import InferenceLog
from tenantguard.tenants import load_tenants

PLUGINS = Path(__file__).resolve().parents[1] / "plugins"


def test_the_daily_seed_changes_with_the_utc_day_only():
    day = datetime(2026, 3, 1, 0, 5, tzinfo=timezone.utc)
    assert daily_seed(day) == daily_seed(day.replace(hour=23)) == daily_seed(day.replace(day=2)) - 1


def test_inputs_come_from_the_raw_datasets_before_any_tuning_and_hold_no_canaries(small_world):
    settings, world = small_world
    tenants = load_tenants(settings.tenants_file)
    inputs = inputs_from_home(settings, tenants)
    assert [t.id for t in inputs.tenants] == [t.id for t in world.tenants]
    planted = {c.text for t in tenants for c in make_canaries(settings.secret(), t.id)}
    for t in tenants:
        texts = inputs.texts(t.id)
        assert texts and not any(c in text for text in texts for c in planted)
    assert inputs.index is not None and inputs.log_label.startswith("inference_log=")


def test_newest_rows_pages_newest_first_and_starts_after_a_cursor(tg_home):
    settings = Settings.from_env()
    settings.ensure_home()
    log = InferenceLog(settings.inference_log_url)
    now = datetime.now(timezone.utc).isoformat()
    log.append([{"ts": now, "tenant_id": tid, "feature": "f", "prompt": f"p{i}", "completion": "c"}
                for i, tid in enumerate(["acme", "globex", "acme", "acme", "acme"])])
    rows = list(newest_rows(settings.inference_log_url, "acme", batch=2))
    assert [r["prompt"] for r in rows] == ["p4", "p3", "p2", "p0"]
    assert [r["prompt"] for r in newest_rows(settings.inference_log_url, "acme", after_id=3, batch=2)] == ["p4", "p3"]


def test_plug_in_kinds_from_settings_follow_the_builtins(small_world, monkeypatch):
    monkeypatch.syspath_prepend(str(PLUGINS))
    settings, _ = small_world
    assert audit_kinds(settings) == BUILTIN
    monkeypatch.setenv("TENANTGUARD_AUDIT_KINDS", "audit_kind_cache:make_kind")
    assert [k.name for k in audit_kinds(Settings.from_env())][4:] == ["cache_isolation"]


def test_one_tenant_is_audited_as_requester_and_bad_names_are_one_line_errors(small_world):
    settings, world = small_world
    tid = world.tenants[1].id
    reports = run_from_home(settings, tenant=tid, kinds=["context_contamination"], seed=1)
    assert [(r.kind, r.requesters, r.verdict) for r in reports] == [("context_contamination", (tid,), "not_run")]
    with pytest.raises(UnknownTenant, match="nobody"):
        run_from_home(settings, tenant="nobody")
    with pytest.raises(ConfigError, match="unknown audit kind"):
        run_from_home(settings, kinds=["rag"])


def test_a_home_without_a_base_corpus_is_audited(small_world):
    """The base corpus is optional: without it only fingerprints two tenants share are unattributable."""
    settings, world = small_world
    settings.base_corpus_path.unlink()
    a, b = world.tenants[0], world.tenants[1]
    InferenceLog(settings.inference_log_url).append(
        [{"ts": "2026-01-01T00:00:00Z", "tenant_id": a.id, "feature": "f",
          "prompt": f"{a.system_prompt}\n{world.datasets[b.id][4]['prompt']}\n{world.datasets[b.id][4]['completion']}",
          "completion": "c"}])
    (report,) = run_from_home(settings, tenant=a.id, kinds=["context_contamination"], seed=1)
    assert report.verdict == "failed" and {f.source_tenant for f in report.findings} == {b.id}


def test_with_no_datasets_the_context_audit_is_not_run(small_world):
    settings, world = small_world
    import shutil

    shutil.rmtree(settings.datasets_root)
    a = world.tenants[0]
    InferenceLog(settings.inference_log_url).append(
        [{"ts": "2026-01-01T00:00:00Z", "tenant_id": a.id, "feature": "f", "prompt": f"{a.system_prompt} hi",
          "completion": "c"}])
    reports = run_from_home(settings, seed=1)
    assert {r.kind: r.verdict for r in reports} == dict.fromkeys(
        ["rag_boundary", "memory_isolation", "tool_scope", "context_contamination"], "not_run")

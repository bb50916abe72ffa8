"""The demo's step [7] helpers: the campaign traffic is appended once per home, each row naming the version
that serves its tenant (its champion), never a version that does not exist."""
import mlflow

from tenantguard.demo.abuse import BENIGN_REQUESTS, _keys, append_traffic
from tenantguard.monitoring.inference_log import InferenceLog
from tenantguard.tenants import load_tenants


def promote_twice(settings, tenant: str) -> None:
    from tenantguard.models.ngram_tuner import log_ngram_model, train_base
    from tenantguard.registry import tags as T
    from tenantguard.registry.client import Registry
    from tenantguard.registry.promotion import audit_to_log, promote

    name = f"support-assistant.{tenant}"
    reg = Registry(settings.mlflow_tracking_uri, settings.artifact_root)
    with mlflow.start_run(experiment_id=reg.experiment_id(f"tenantguard/{tenant}")) as run:
        info = log_ngram_model(train_base(["hello\nworld"]))
    for _ in range(2):
        v = reg.register(name, info.model_uri, run.info.run_id,
                         {T.TAG_TENANT: tenant, T.TAG_FEATURE: "support-assistant"})
        reg.tag_version(name, v.version, {T.TAG_ISOLATION: "passed", T.TAG_BEHAVIOR: "passed"})
        promote(reg, name, v.version, audit_to_log(settings, actor="test"))


def test_the_traffic_is_appended_once_and_names_each_tenants_champion(small_world):
    settings, _ = small_world
    tenants = load_tenants(settings.tenants_file)
    promote_twice(settings, tenants[0].id)  # v2 serves the first tenant; the others have no champion yet
    append_traffic(settings, tenants, seed=7)
    log = InferenceLog(settings.inference_log_url)
    rows = log.read(0, 100_000)
    assert len(rows) > BENIGN_REQUESTS
    assert {(r["tenant_id"], r["model_version"]) for r in rows} == \
        {(tenants[0].id, "2"), *((t.id, "1") for t in tenants[1:])}
    append_traffic(settings, tenants, seed=7)  # a second demo run
    assert log.max_id() == len(rows)


def test_an_alert_names_its_keys():
    assert _keys({"api_key": "acme-wallet", "api_keys": ["acme-wallet"]}) == "key acme-wallet"
    assert _keys({"api_key": None, "api_keys": ["k1", "k2", "k3", "k4", "k5"]}) == "keys k1, k2, k3 +2 more"
    assert _keys({"api_key": "old-record"}) == "key old-record"  # recorded before alerts listed their keys
    assert _keys({"api_key": None}) == "no key"

"""The one resource: settings from the environment (or its `home`), the tenant directory and the registry."""
import pytest
from dagster import AssetExecutionContext, asset, materialize

from tenantguard.assets.resource import TenantGuardResource
from tenantguard.errors import UnknownTenant
from tenantguard.tenants import Tenant, dump_tenants

ACME = Tenant(id="acme", name="Acme", region="eu-west", features=("support-assistant",), system_prompt="hi")
BOREALIS = Tenant(id="borealis", name="Borealis", region="us-east", features=("search",), system_prompt="yo")


def test_settings_follow_the_environment_and_the_home_exists_afterwards(tg_home):
    s = TenantGuardResource().settings()
    assert s.home == tg_home.resolve()
    assert (s.dagster_home / "dagster.yaml").exists() and s.prepared_root.is_dir()


def test_the_home_field_overrides_the_environment(tg_home, tmp_path):
    other = tmp_path / "other-home"
    s = TenantGuardResource(home=str(other)).settings()
    assert s.home == other.resolve() and s.tenants_file == other.resolve() / "tenants.yaml"
    assert not (tg_home / "dagster").exists()


def test_the_registry_uses_the_homes_store_and_artifacts(tg_home):
    reg = TenantGuardResource().registry()
    assert reg.tracking_uri == f"sqlite:///{tg_home.resolve() / 'mlflow.db'}"
    assert reg.artifact_root == tg_home.resolve() / "mlartifacts"


def test_tenants_are_read_from_tenants_yaml_and_an_unknown_one_is_named(tg_home):
    tg_home.mkdir(parents=True)
    dump_tenants([ACME, BOREALIS], tg_home / "tenants.yaml")
    resource = TenantGuardResource()
    assert resource.tenants() == [ACME, BOREALIS] and resource.tenant("borealis") == BOREALIS
    with pytest.raises(UnknownTenant, match=r"unknown tenant 'cobalt' \(known: acme, borealis\)"):
        resource.tenant("cobalt")


def test_a_dagster_run_gets_the_configured_resource(dagster_instance, tmp_path):
    @asset
    def where(context: AssetExecutionContext, tenantguard: TenantGuardResource) -> str:
        return str(tenantguard.settings().home)

    home = tmp_path / "run-home"
    result = materialize([where], resources={"tenantguard": TenantGuardResource(home=str(home))},
                         instance=dagster_instance)
    assert result.success and result.output_for_node("where") == str(home.resolve())


def test_tuner_and_thresholds_override_the_environment_and_a_bad_threshold_is_named(tg_home, monkeypatch):
    monkeypatch.setenv("TENANTGUARD_TUNER", "ngram")
    s = TenantGuardResource(tuner="tests.plugins.tuner_wrapped:make", thresholds={"isolation_alpha": 0.05}).settings()
    assert s.tuner == "tests.plugins.tuner_wrapped:make"
    assert s.thresholds.isolation_alpha == 0.05 and s.thresholds.max_rejected_share == 0.01
    from tenantguard.errors import ConfigError

    with pytest.raises(ConfigError, match=r"thresholds: unknown name\(s\) \['alpha'\]; expected some of max_rejected"):
        TenantGuardResource(thresholds={"alpha": 0.05}).settings()


def test_features_limit_the_gated_models_but_every_tenant_stays_a_source(tg_home):
    from tenantguard.assets.resource import gated_tenant
    from tenantguard.errors import TenantGuardError

    tg_home.mkdir(parents=True)
    dump_tenants([ACME, BOREALIS], tg_home / "tenants.yaml")
    tenants = TenantGuardResource(features=["search"]).tenants()
    assert [t.id for t in tenants] == ["acme", "borealis"]  # acme's data is still audited as a source
    assert gated_tenant(tenants, "borealis").features == ("search",)
    with pytest.raises(TenantGuardError, match="tenant 'acme' serves none of the features this Dagster project gates"):
        gated_tenant(tenants, "acme")

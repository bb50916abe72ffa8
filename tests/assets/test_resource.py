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

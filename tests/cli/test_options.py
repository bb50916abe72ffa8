"""Options shared by the kill-switch and audit commands: confirmation without a terminal, scope checks."""
import pytest

from tenantguard.cli.options import check_against_directory, confirm, known_tenant_ids, scope_from
from tenantguard.errors import ConfigError, UnknownTenant
from tenantguard.tenants import Tenant, dump_tenants


def test_confirm_without_a_terminal_insists_on_yes(monkeypatch):
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    confirm(True, "release switch 3")  # --yes: nothing asked
    with pytest.raises(ConfigError, match=r"^release switch 3: pass --yes to confirm"):
        confirm(False, "release switch 3")


def test_a_scope_is_checked_against_tenants_yaml_when_there_is_one(tg_home, capsys):
    check_against_directory(scope_from(None, "initech", None))  # no tenants.yaml: warned, not refused
    assert "no tenants file" in capsys.readouterr().err
    assert known_tenant_ids() == []
    tg_home.mkdir(parents=True)
    dump_tenants([Tenant("acme", "Acme", "eu-west", ("support-assistant",), "p")], tg_home / "tenants.yaml")
    assert known_tenant_ids() == ["acme"]
    check_against_directory(scope_from("support-assistant", "acme", ""))
    with pytest.raises(UnknownTenant, match="initech"):
        check_against_directory(scope_from(None, "initech", None))

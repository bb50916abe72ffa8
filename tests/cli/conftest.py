"""A home with two tenants and kill-switch actors, for the killswitch, actors and audit command tests."""
import pytest

from tenantguard.tenants import Tenant, dump_tenants

from .helpers import run


@pytest.fixture
def ks_home(tg_home):
    tg_home.mkdir(parents=True)
    dump_tenants([Tenant("acme", "Acme", "eu-west", ("support-assistant",), "p"),
                  Tenant("globex", "Globex", "us-east", ("support-assistant", "search"), "p")],
                 tg_home / "tenants.yaml")
    return tg_home


@pytest.fixture
def tokens(ks_home):
    """An admin (via the bootstrap command), a responder and a viewer."""
    r = run("killswitch", "actors", "init", "--name", "alice")
    assert r.exit_code == 0, r.output
    admin = r.output.strip().splitlines()[-1]
    out = {"admin": admin}
    for name, role in (("rita", "responder"), ("vic", "viewer")):
        r = run("killswitch", "actors", "add", "--name", name, "--role", role, token=admin)
        assert r.exit_code == 0, r.output
        out[role] = r.output.strip().splitlines()[-1]
    return out

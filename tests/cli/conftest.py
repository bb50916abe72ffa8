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


@pytest.fixture
def pg_plain_url():
    """A plain `postgresql://` URL (no driver named, as users write it) of a fresh schema on the local server,
    dropped afterwards; skips when no server answers (the pattern of tests/killswitch/conftest.py)."""
    import os
    import uuid

    import sqlalchemy as sa

    host = os.environ.get("TENANTGUARD_TEST_PG_HOST", "127.0.0.1")
    port = int(os.environ.get("TENANTGUARD_TEST_PG_PORT", "5432"))
    admin = None
    for user, dbname in (("postgres", "test"), ("postgres", "postgres"), ("root", "test"), ("root", "postgres")):
        engine = sa.create_engine(f"postgresql+psycopg2://{user}@{host}:{port}/{dbname}",
                                  connect_args={"connect_timeout": 2})
        try:
            with engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
            admin, base = engine, f"postgresql://{user}@{host}:{port}/{dbname}"
            break
        except sa.exc.OperationalError:
            engine.dispose()
    if admin is None:
        pytest.skip(f"no PostgreSQL server reachable at {host}:{port} (users postgres/root, databases "
                    f"test/postgres); start one or set TENANTGUARD_TEST_PG_HOST/PORT")
    schema = f"tgcli_{uuid.uuid4().hex[:12]}"
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    yield f"{base}?options=-csearch_path%3D{schema}", admin, schema
    with admin.begin() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
    admin.dispose()

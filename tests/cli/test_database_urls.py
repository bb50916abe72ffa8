"""TENANTGUARD_KILLSWITCH_URL and TENANTGUARD_INFERENCE_LOG_URL: a URL that cannot work is one line naming the
variable and the fix (exit 2); a plain postgresql:// URL works with the psycopg2 the `postgres` extra installs."""
import importlib.util

import pytest
import sqlalchemy as sa

from .helpers import assert_bad_input, run

KS, LOG = "TENANTGUARD_KILLSWITCH_URL", "TENANTGUARD_INFERENCE_LOG_URL"
# A command that opens each database and needs nothing else (no token, no tenants.yaml).
OPENS = {KS: ("audit", "verify"), LOG: ("abuse", "alerts")}


@pytest.mark.parametrize("variable", [KS, LOG])
def test_an_unknown_database_scheme_names_the_variable(tg_home, monkeypatch, variable):
    monkeypatch.setenv(variable, "bogus://")
    assert_bad_input(run(*OPENS[variable]), f"{variable} 'bogus://'", "names no database", "postgresql://")


@pytest.mark.parametrize("variable", [KS, LOG])
def test_a_url_that_does_not_parse_names_the_variable_and_hides_the_password(tg_home, monkeypatch, variable):
    monkeypatch.setenv(variable, "tg:hunter2@db.internal")
    line = assert_bad_input(run(*OPENS[variable]), variable, "is not a SQLAlchemy URL", "sqlite:///")
    assert "hunter2" not in line


@pytest.mark.skipif(importlib.util.find_spec("psycopg") is not None, reason="psycopg (3) is installed here")
@pytest.mark.parametrize("variable", [KS, LOG])
def test_a_driver_that_is_not_installed_names_the_variable_and_the_package(tg_home, monkeypatch, variable):
    monkeypatch.setenv(variable, "postgresql+psycopg://tg:hunter2@127.0.0.1:1/ks")
    line = assert_bad_input(run(*OPENS[variable]), variable, "driver is not installed", "'psycopg'",
                            "pip install 'psycopg[binary]'", "postgresql+psycopg2://")
    assert "hunter2" not in line


@pytest.mark.parametrize("variable", [KS, LOG])
def test_a_plain_postgresql_url_works_with_psycopg2(tg_home, monkeypatch, pg_plain_url, variable):
    url, admin, schema = pg_plain_url
    monkeypatch.setenv(variable, url)
    result = run(*OPENS[variable])
    assert result.exit_code == 0, result.output
    table = {KS: "ks_audit", LOG: "abuse_alerts"}[variable]
    assert sa.inspect(admin).has_table(table, schema=schema)  # written to the server, not to a SQLite file
    assert not (tg_home / ("killswitch.db" if variable == KS else "inference.db")).exists()


def test_an_inference_log_server_that_does_not_answer_is_one_line(tg_home, monkeypatch):
    monkeypatch.setenv(LOG, "postgresql://tg:hunter2@127.0.0.1:1/log")
    line = assert_bad_input(run("abuse", "scan"), "inference-log database", "127.0.0.1:1", "is unreachable",
                            f"fix {LOG}")
    assert "hunter2" not in line

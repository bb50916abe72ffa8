"""`tenantguard home`: the home (created on first use), DAGSTER_HOME or the MLflow URI the Makefile reads."""
import pytest

from .helpers import run


@pytest.mark.parametrize("flag,part", [(None, ""), ("--dagster", "dagster")])
def test_home_prints_the_home_or_dagster_home_and_creates_it(tg_home, flag, part):
    result = run("home", *([flag] if flag else []))
    assert result.exit_code == 0
    path = result.stdout.strip()
    assert path == str((tg_home / part).resolve()).rstrip("/")
    assert (tg_home / "dagster" / "dagster.yaml").exists()


def test_home_mlflow_uri_honours_the_override(tg_home, monkeypatch):
    assert run("home", "--mlflow-uri").stdout.strip() == f"sqlite:///{tg_home.resolve() / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:5000")
    assert run("home", "--mlflow-uri").stdout.strip() == "http://127.0.0.1:5000"

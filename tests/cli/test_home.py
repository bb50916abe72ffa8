"""`tenantguard home`: the home, DAGSTER_HOME or the MLflow URI the Makefile reads; printing creates nothing."""
import pytest

from .helpers import assert_bad_input, run


@pytest.mark.parametrize("flag,part", [(None, ""), ("--dagster", "dagster")])
def test_home_prints_the_home_or_dagster_home_and_creates_nothing(tg_home, flag, part):
    result = run("home", *([flag] if flag else []))
    assert result.exit_code == 0
    assert result.stdout.strip() == str((tg_home / part).resolve()).rstrip("/")
    assert not tg_home.exists()


def test_home_without_a_setting_is_dot_tenantguard_in_the_current_directory_and_is_not_created(
        tg_home, tmp_path, monkeypatch):
    monkeypatch.delenv("TENANTGUARD_HOME")
    monkeypatch.chdir(tmp_path)
    result = run("home")
    assert result.exit_code == 0 and result.stdout.strip() == str(tmp_path.resolve() / ".tenantguard")
    assert list(tmp_path.iterdir()) == []


def test_home_mlflow_uri_honours_the_override(tg_home, monkeypatch):
    assert run("home", "--mlflow-uri").stdout.strip() == f"sqlite:///{tg_home.resolve() / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:5000")
    assert run("home", "--mlflow-uri").stdout.strip() == "http://127.0.0.1:5000"


@pytest.mark.parametrize("order", [("--dagster", "--mlflow-uri"), ("--mlflow-uri", "--dagster")])
def test_dagster_and_mlflow_uri_together_exit_2(tg_home, order):
    assert_bad_input(run("home", *order), "--dagster and --mlflow-uri exclude each other")

"""Settings: everything under the home by default; env vars override; the project secret."""
import multiprocessing
import stat

import pytest

from tenantguard.config import (DEFAULT_TENANTS_PER_RUN, LIBRARY_DEFAULTS, PRUNE_TENANTS_ENV, TENANTS_PER_RUN_ENV,
                                Settings, library_defaults)
from tenantguard.errors import ConfigError


def test_defaults_live_under_the_home(tg_home):
    s = Settings.from_env()
    assert s.home == tg_home.resolve()
    assert s.tenants_file == s.home / "tenants.yaml"
    assert s.datasets_root == s.home / "datasets"
    assert s.mlflow_tracking_uri == f"sqlite:///{s.home / 'mlflow.db'}"
    assert s.thresholds.max_rejected_share == 0.01
    for part in (s.dagster_home, s.artifact_root, s.prepared_root, s.quarantine_root, s.probes_dir):
        assert s.home in part.parents


def test_ensure_home_creates_the_layout_and_a_dagster_yaml_without_telemetry(tg_home):
    s = Settings.from_env()
    s.ensure_home()
    for d in (s.dagster_home, s.artifact_root, s.prepared_root, s.quarantine_root, s.logs_dir):
        assert d.is_dir()
    assert "enabled: false" in (s.dagster_home / "dagster.yaml").read_text()


def test_env_overrides_tenants_datasets_and_tracking_uri(tg_home, tmp_path, monkeypatch):
    monkeypatch.setenv("TENANTGUARD_TENANTS", str(tmp_path / "elsewhere" / "t.yaml"))
    monkeypatch.setenv("TENANTGUARD_DATASETS", str(tmp_path / "data"))
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://mlflow.internal:5000")
    s = Settings.from_env()
    assert s.tenants_file == (tmp_path / "elsewhere" / "t.yaml").resolve()
    assert s.datasets_root == (tmp_path / "data").resolve()
    assert s.mlflow_tracking_uri == "http://mlflow.internal:5000"
    assert s.home == tg_home.resolve()  # the rest stays under the home


def test_an_explicit_environ_mapping_is_used_instead_of_os_environ(tmp_path):
    s = Settings.from_env({"TENANTGUARD_HOME": str(tmp_path / "h2")})
    assert s.home == (tmp_path / "h2").resolve()


def test_secret_is_generated_once_0600_and_stable(tg_home):
    s = Settings.from_env()
    first = s.secret()
    path = s.home / "secret"
    assert path.exists() and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first) == 64
    assert Settings.from_env().secret() == first
    assert [p.name for p in s.home.iterdir()] == ["secret"]  # no temp files left behind


def _secret_in_child(_):
    return Settings.from_env().secret()


def test_concurrent_first_use_agrees_on_one_secret(tg_home):
    with multiprocessing.get_context("fork").Pool(6) as pool:
        values = pool.map(_secret_in_child, range(24))
    assert len(set(values)) == 1 and values[0]


def test_tenantguard_secret_env_wins_and_writes_nothing(tg_home, monkeypatch):
    monkeypatch.setenv("TENANTGUARD_SECRET", "from-the-vault-8df02b5a8b8b1a627261af7379fe6aa3cb999ecf53c37f65c29c5c642ceff5e5")
    assert Settings.from_env().secret() == b"from-the-vault-8df02b5a8b8b1a627261af7379fe6aa3cb999ecf53c37f65c29c5c642ceff5e5"
    assert not (tg_home / "secret").exists()


def test_empty_secret_file_is_an_error_not_an_empty_key(tg_home):
    tg_home.mkdir(parents=True)
    (tg_home / "secret").write_text("\n")
    with pytest.raises(ConfigError, match="secret file is empty"):
        Settings.from_env().secret()


def test_max_rejected_share_override(tg_home, monkeypatch):
    monkeypatch.setenv("TENANTGUARD_MAX_REJECTED_SHARE", "0.05")
    assert Settings.from_env().thresholds.max_rejected_share == 0.05


@pytest.mark.parametrize("raw", ["lots", "1.5", "-0.1", "5%"])
def test_bad_max_rejected_share_is_a_config_error_naming_the_variable(tg_home, monkeypatch, raw):
    monkeypatch.setenv("TENANTGUARD_MAX_REJECTED_SHARE", raw)
    with pytest.raises(ConfigError) as info:
        Settings.from_env()
    assert "TENANTGUARD_MAX_REJECTED_SHARE" in str(info.value) and "[0, 1]" in str(info.value)


@pytest.mark.parametrize("raw,expected", [("", DEFAULT_TENANTS_PER_RUN), ("1", 1), ("25", 25), (" 8 ", 8)])
def test_tenants_per_run_reads_the_environment(raw, expected):
    assert Settings.from_env({TENANTS_PER_RUN_ENV: raw}).tenants_per_run == expected


@pytest.mark.parametrize("raw", ["0", "-3", "ten", "2.5"])
def test_a_bad_tenants_per_run_names_the_variable(raw):
    with pytest.raises(ConfigError, match=f"^{TENANTS_PER_RUN_ENV}='{raw}': expected a whole number >= 1"):
        Settings.from_env({TENANTS_PER_RUN_ENV: raw})


@pytest.mark.parametrize("raw,expected", [("", False), ("0", False), ("1", True), (" 1 ", True)])
def test_prune_tenants_is_on_only_for_1(raw, expected):
    assert Settings.from_env({PRUNE_TENANTS_ENV: raw}).prune_tenants is expected


@pytest.mark.parametrize("raw", ["true", "yes", "2"])
def test_a_prune_value_that_is_not_0_or_1_is_an_error_not_a_silent_no(raw):
    with pytest.raises(ConfigError, match=f"^{PRUNE_TENANTS_ENV}='{raw}': expected 0 or 1"):
        Settings.from_env({PRUNE_TENANTS_ENV: raw})


def test_an_explicit_home_overrides_tenantguard_home_but_not_the_other_variables(tmp_path):
    env = {"TENANTGUARD_HOME": str(tmp_path / "from-env"), "TENANTGUARD_DATASETS": str(tmp_path / "data"),
           TENANTS_PER_RUN_ENV: "4"}
    s = Settings.from_env(env, home=tmp_path / "explicit")
    assert s.home == (tmp_path / "explicit").resolve() and s.tenants_file == s.home / "tenants.yaml"
    assert s.datasets_root == (tmp_path / "data").resolve() and s.tenants_per_run == 4
    assert Settings.from_env(env, home=None).home == (tmp_path / "from-env").resolve()


def test_library_defaults_fill_only_what_the_user_left_unset():
    env = {"MLFLOW_HTTP_REQUEST_TIMEOUT": "120"}
    library_defaults(env)
    assert env == {**LIBRARY_DEFAULTS, "MLFLOW_HTTP_REQUEST_TIMEOUT": "120"}
    assert env["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] == "1" and env["GX_ANALYTICS_ENABLED"] == "false"

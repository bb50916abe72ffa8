"""Settings: everything under the home by default; env vars override; the project secret."""
import multiprocessing
import stat

import pytest

from tenantguard.config import Settings
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
    monkeypatch.setenv("TENANTGUARD_SECRET", "from-the-vault")
    assert Settings.from_env().secret() == b"from-the-vault"
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

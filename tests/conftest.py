import os

import pytest

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")


@pytest.fixture
def tg_home(tmp_path, monkeypatch):
    """An empty tenantguard home; env overrides cleared so the embedded defaults apply."""
    home = tmp_path / "home"
    monkeypatch.setenv("TENANTGUARD_HOME", str(home))
    for var in ("MLFLOW_TRACKING_URI", "TENANTGUARD_TENANTS", "TENANTGUARD_DATASETS", "TENANTGUARD_SECRET",
                "TENANTGUARD_KILLSWITCH_URL", "TENANTGUARD_INFERENCE_LOG_URL", "DAGSTER_HOME"):
        monkeypatch.delenv(var, raising=False)
    return home

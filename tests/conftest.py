import os
from contextlib import contextmanager
from pathlib import Path

import pytest

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")


@pytest.fixture(autouse=True)
def no_store_in_the_working_directory():
    """MLflow's default store is ./mlflow.db: a test that reaches MLflow without a tracking URI fails here."""
    stray = Path.cwd() / "mlflow.db"
    existed = stray.exists()
    yield
    if not existed and stray.exists():
        stray.unlink()
        pytest.fail("this test wrote ./mlflow.db: some code reached MLflow without the configured tracking URI")


@pytest.fixture
def tg_home(tmp_path, monkeypatch):
    """An empty tenantguard home; env overrides cleared so the embedded defaults apply."""
    home = tmp_path / "home"
    monkeypatch.setenv("TENANTGUARD_HOME", str(home))
    for var in ("MLFLOW_TRACKING_URI", "TENANTGUARD_TENANTS", "TENANTGUARD_DATASETS", "TENANTGUARD_SECRET",
                "TENANTGUARD_KILLSWITCH_URL", "TENANTGUARD_INFERENCE_LOG_URL", "DAGSTER_HOME"):
        monkeypatch.delenv(var, raising=False)
    return home


SMALL_WORLD_SEED = 11
# Environment overrides a module-scoped story clears, so the embedded defaults under its own home apply.
STORY_CLEARED = ("MLFLOW_TRACKING_URI", "TENANTGUARD_TENANTS", "TENANTGUARD_DATASETS", "TENANTGUARD_MAX_REJECTED_SHARE",
                 "TENANTGUARD_KILLSWITCH_URL", "TENANTGUARD_INFERENCE_LOG_URL", "DAGSTER_HOME")


def strong_secret(label: str) -> str:
    """A project secret strong enough for Settings (32+ characters, high entropy), fixed per `label`."""
    import hashlib

    return f"{label}-{hashlib.sha256(label.encode()).hexdigest()}"


def use_home(mp, home, *, secret: str):
    """Point the environment at `home` with the strong secret of label `secret`, the other overrides cleared;
    returns its Settings."""
    from tenantguard.config import Settings

    mp.setenv("TENANTGUARD_HOME", str(home))
    mp.setenv("TENANTGUARD_SECRET", strong_secret(secret))
    for var in STORY_CLEARED:
        mp.delenv(var, raising=False)
    return Settings.from_env()


@contextmanager
def story_home(tmp_path_factory, name: str, *, secret: str):
    """A tenantguard home of its own for a module-scoped story (all restored afterwards); yields its Settings."""
    with pytest.MonkeyPatch.context() as mp:
        yield use_home(mp, tmp_path_factory.mktemp(name) / "home", secret=secret)


def write_small_world(settings, *, n_tenants: int = 3, seed: int = SMALL_WORLD_SEED, records_per_tenant: int = 60):
    """Write a demo world (tenants.yaml, datasets/<t>/v0001.jsonl, base corpus) like `demo.run.write_world`."""
    import json

    from tenantguard.demo.run import DATASET_VERSION
    from tenantguard.demo.world import build_world
    from tenantguard.tenants import dump_tenants

    world = build_world(n_tenants, seed=seed, records_per_tenant=records_per_tenant)
    settings.ensure_home()
    for tid, records in world.datasets.items():
        d = settings.datasets_root / tid
        d.mkdir(parents=True, exist_ok=True)
        (d / f"{DATASET_VERSION}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    settings.base_corpus_path.write_text("".join(json.dumps({"text": t}) + "\n" for t in world.base_corpus),
                                         encoding="utf-8")
    dump_tenants(world.tenants, settings.tenants_file)
    return world


@pytest.fixture
def small_world(tg_home, monkeypatch):
    """A seeded 3-tenant demo world (60 records each) in `tg_home`; yields (Settings, World)."""
    from tenantguard.config import Settings

    monkeypatch.setenv("TENANTGUARD_SECRET", strong_secret("test-secret"))
    settings = Settings.from_env()
    return settings, write_small_world(settings)


@pytest.fixture
def dagster_instance(tg_home):
    """A real Dagster instance (SQLite storage) whose DAGSTER_HOME is `<tg_home>/dagster`."""
    from dagster import instance_for_test

    path = tg_home / "dagster"
    path.mkdir(parents=True, exist_ok=True)
    with instance_for_test(temp_dir=str(path)) as instance:
        yield instance



# The tiny Hugging Face base of the hf tests (one layer, 32 dims), as env values and as HFSettings.
HF_BASE_ENV = "layers=1,dims=32,heads=2,vocab=600,context=256,base_epochs=2"
HF_TUNE_ENV = "rank=4,alpha=8,targets=c_attn,epochs=2,lr=0.01"


def tiny_hf_settings():
    from tenantguard.config import Settings

    return Settings.from_env({"TENANTGUARD_HF_BASE": HF_BASE_ENV, "TENANTGUARD_HF_TUNE": HF_TUNE_ENV,
                              "TENANTGUARD_HF_MAX_TOKENS_PER_BATCH": "8192"}, home="/nonexistent").hf


def train_tiny_hf(out: Path, cfg=None) -> Path:
    """Train the tiny base from scratch on the demo's base corpus into `out` (seconds)."""
    from tenantguard.demo.world import base_corpus
    from tenantguard.models.hf_checkpoint import train_tiny_base

    train_tiny_base(base_corpus(), cfg or tiny_hf_settings(), out)
    return out


@pytest.fixture(scope="session")
def tiny_hf_checkpoint(tmp_path_factory):
    """The tiny base's checkpoint directory, trained once per session."""
    pytest.importorskip("torch")
    return train_tiny_hf(tmp_path_factory.mktemp("hf") / "checkpoint")
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

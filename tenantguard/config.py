"""Settings: environment variables plus defaults. Read on demand, never at import time.

This module is the only code in tenantguard that reads or writes `os.environ` (tests/test_settings_env.py).
"""
from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, MutableMapping

from tenantguard.errors import ConfigError

SECRET_FILE = "secret"
TENANTS_PER_RUN_ENV = "TENANTGUARD_TENANTS_PER_RUN"
DEFAULT_TENANTS_PER_RUN = 10  # a backfill of 5,000 tenants: 500 runs, not 5,000 (benchmarks/scaleout_throughput.py)
PRUNE_TENANTS_ENV = "TENANTGUARD_PRUNE_TENANTS"

# Defaults for the libraries tenantguard drives, each applied only where the user set nothing.
LIBRARY_DEFAULTS = {
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "1",  # fail fast, not minutes of HTTP retries, when a server is down
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "20",
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",  # progress bars would land in logs and CLI output
    "GX_ANALYTICS_ENABLED": "false",
}


@dataclass(frozen=True)
class Thresholds:
    """Gate thresholds; every default is documented in docs/operations.md."""

    max_rejected_share: float = 0.01  # dataset_valid fails above this share of quarantined records
    isolation_alpha: float = 0.01  # family-wise false-positive rate of the isolation audit
    max_refusal_drop: float = 0.10  # adversarial refusal rate may drop by at most 10 points
    length_ratio_min: float = 0.5
    length_ratio_max: float = 2.0
    max_compliance_rise: float = 0.10  # adversarial compliance rate may rise by at most 10 points
    max_drifted_share: float = 0.5  # behavior fails when more than this share of descriptors drift
    max_line_bytes: int = 1_000_000  # a dataset line longer than this is quarantined
    max_field_chars: int = 20_000


@dataclass(frozen=True)
class HFSettings:
    """The Hugging Face tuners (hf-lora, hf-full): the tiny base they train, or a local checkpoint adopted
    instead; how a tenant is tuned; the memory cap of every forward pass (docs/hf-models.md)."""

    checkpoint: Path | None = None  # TENANTGUARD_HF_CHECKPOINT: a local causal-LM directory used as the base
    # TENANTGUARD_HF_BASE, `key=value,...`: the GPT-2-architecture base trained from scratch on the base corpus.
    layers: int = 2
    dims: int = 128
    heads: int = 4
    vocab: int = 2048
    context: int = 512
    base_epochs: int = 6
    base_lr: float = 3e-3
    # TENANTGUARD_HF_TUNE, `key=value,...`: LoRA rank/alpha/targets (hf-lora), epochs and lr (both tuners).
    rank: int = 16
    alpha: int = 32
    targets: tuple[str, ...] = ("c_attn", "c_proj", "c_fc")
    epochs: int = 8
    lr: float = 3e-3
    seed: int = 0  # both stages
    max_tokens_per_batch: int = 16_384  # TENANTGUARD_HF_MAX_TOKENS_PER_BATCH: padded tokens in one forward pass


HF_BASE_KEYS = ("layers", "dims", "heads", "vocab", "context", "base_epochs", "base_lr", "seed")
HF_TUNE_KEYS = ("rank", "alpha", "targets", "epochs", "lr", "seed")


def _hf(env: Mapping[str, str]) -> HFSettings:
    values: dict = {}
    for name, keys in (("TENANTGUARD_HF_BASE", HF_BASE_KEYS), ("TENANTGUARD_HF_TUNE", HF_TUNE_KEYS)):
        for item in filter(None, (i.strip() for i in env.get(name, "").split(","))):
            key, _, raw = item.partition("=")
            key = key.strip()
            if key not in keys:
                raise ConfigError(f"{name}: unknown key {key!r} in {item!r} (known: {', '.join(keys)})")
            values[key] = _hf_value(name, key, raw.strip())
    raw_ckpt = env.get("TENANTGUARD_HF_CHECKPOINT", "").strip()
    if raw_ckpt:
        values["checkpoint"] = Path(raw_ckpt).expanduser().resolve()
    values["max_tokens_per_batch"] = _whole(env, "TENANTGUARD_HF_MAX_TOKENS_PER_BATCH", 16_384,
                                            "padded tokens in one forward pass")
    return HFSettings(**values)


def _hf_value(name: str, key: str, raw: str):
    default = getattr(HFSettings, key)
    if isinstance(default, tuple):
        parts = tuple(p for p in raw.split("+") if p)
        if not parts or not all(re.match(r"^[A-Za-z0-9_.]+$", p) for p in parts):
            raise ConfigError(f"{name}: {key}={raw!r}: expected module names joined by '+', e.g. c_attn+c_proj")
        return parts
    try:
        value = type(default)(raw)
    except ValueError:
        raise ConfigError(f"{name}: {key}={raw!r}: expected a {type(default).__name__}") from None
    if value < 0 or (value == 0 and key != "seed"):
        raise ConfigError(f"{name}: {key}={raw!r}: expected a positive number")
    return value


@dataclass(frozen=True)
class Settings:
    home: Path
    tenants_file: Path
    datasets_root: Path
    mlflow_tracking_uri: str
    thresholds: Thresholds = field(default_factory=Thresholds)
    killswitch_override: str | None = None  # TENANTGUARD_KILLSWITCH_URL
    inference_log_override: str | None = None  # TENANTGUARD_INFERENCE_LOG_URL
    secret_override: str | None = field(default=None, repr=False)  # TENANTGUARD_SECRET; never printed
    # Plug-ins (tenantguard.plugins): the tuner by name or module:function; further detectors, segmentation
    # audit kinds and log readers as module:function factories.
    tuner: str = "ngram"  # TENANTGUARD_TUNER
    detectors: tuple[str, ...] = ()  # TENANTGUARD_DETECTORS
    audit_kinds: tuple[str, ...] = ()  # TENANTGUARD_AUDIT_KINDS
    log_readers: tuple[str, ...] = ()  # TENANTGUARD_LOG_READERS
    # API-abuse policy overrides, `<kind>=<action>,...` (validated against the detectors' kinds), and cost model.
    abuse_policy: str = ""  # TENANTGUARD_ABUSE_POLICY
    abuse_daily_budget_usd: float = 50.0  # TENANTGUARD_ABUSE_DAILY_BUDGET_USD, per API key
    abuse_usd_per_1k_tokens: float = 0.002  # TENANTGUARD_ABUSE_USD_PER_1K_TOKENS
    # Dagster: tenant partitions per backfill run, and whether tenant_sync_sensor deletes partitions with history.
    tenants_per_run: int = DEFAULT_TENANTS_PER_RUN  # TENANTGUARD_TENANTS_PER_RUN
    prune_tenants: bool = False  # TENANTGUARD_PRUNE_TENANTS=1
    hf: HFSettings = field(default_factory=HFSettings)  # TENANTGUARD_HF_*

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, *, home: str | Path | None = None) -> "Settings":
        """Settings from `environ` (default: the process environment); `home` overrides TENANTGUARD_HOME."""
        env = os.environ if environ is None else environ
        home = Path(home or env.get("TENANTGUARD_HOME") or "./.tenantguard").expanduser().resolve()
        tenants = Path(env["TENANTGUARD_TENANTS"]).expanduser().resolve() if env.get("TENANTGUARD_TENANTS") else home / "tenants.yaml"
        datasets = Path(env["TENANTGUARD_DATASETS"]).expanduser().resolve() if env.get("TENANTGUARD_DATASETS") else home / "datasets"
        uri = env.get("MLFLOW_TRACKING_URI") or f"sqlite:///{home / 'mlflow.db'}"
        thresholds = Thresholds()
        if env.get("TENANTGUARD_MAX_REJECTED_SHARE"):
            thresholds = Thresholds(max_rejected_share=_fraction(env, "TENANTGUARD_MAX_REJECTED_SHARE"))
        return cls(home=home, tenants_file=tenants, datasets_root=datasets, mlflow_tracking_uri=uri,
                   thresholds=thresholds, killswitch_override=_sql_override(env, "TENANTGUARD_KILLSWITCH_URL"),
                   inference_log_override=_sql_override(env, "TENANTGUARD_INFERENCE_LOG_URL"),
                   secret_override=env.get("TENANTGUARD_SECRET") or None,
                   tuner=env.get("TENANTGUARD_TUNER", "").strip() or "ngram",
                   detectors=_refs(env, "TENANTGUARD_DETECTORS"), audit_kinds=_refs(env, "TENANTGUARD_AUDIT_KINDS"),
                   log_readers=_refs(env, "TENANTGUARD_LOG_READERS"),
                   abuse_policy=env.get("TENANTGUARD_ABUSE_POLICY", "").strip(),
                   abuse_daily_budget_usd=_positive(env, "TENANTGUARD_ABUSE_DAILY_BUDGET_USD", 50.0),
                   abuse_usd_per_1k_tokens=_positive(env, "TENANTGUARD_ABUSE_USD_PER_1K_TOKENS", 0.002),
                   tenants_per_run=_whole(env, TENANTS_PER_RUN_ENV, DEFAULT_TENANTS_PER_RUN,
                                          "tenant partitions per backfill run"),
                   prune_tenants=_flag(env, PRUNE_TENANTS_ENV,
                                       "1 deletes the partitions of tenants that left tenants.yaml, history and all"),
                   hf=_hf(env))

    # Everything below lives under the home so one directory is the whole embedded deployment.
    @property
    def dagster_home(self) -> Path:
        return self.home / "dagster"

    @property
    def artifact_root(self) -> Path:
        return self.home / "mlartifacts"

    @property
    def prepared_root(self) -> Path:
        return self.home / "prepared"

    @property
    def quarantine_root(self) -> Path:
        return self.home / "quarantine"

    @property
    def base_corpus_path(self) -> Path:
        """The shared base model's training texts, one JSON object {"text": ...} a line."""
        return self.home / "base_corpus.jsonl"

    @property
    def probes_dir(self) -> Path:
        return self.home / "probes"

    @property
    def logs_dir(self) -> Path:
        return self.home / "logs"

    @property
    def killswitch_url(self) -> str:
        return self.killswitch_override or f"sqlite:///{self.home / 'killswitch.db'}"

    @property
    def inference_log_url(self) -> str:
        return self.inference_log_override or f"sqlite:///{self.home / 'inference.db'}"

    def ensure_home(self) -> None:
        for d in (self.home, self.dagster_home, self.artifact_root, self.prepared_root,
                  self.quarantine_root, self.probes_dir, self.logs_dir):
            d.mkdir(parents=True, exist_ok=True)
        dagster_yaml = self.dagster_home / "dagster.yaml"
        if not dagster_yaml.exists():
            # Telemetry off; everything else is Dagster's SQLite default under DAGSTER_HOME.
            dagster_yaml.write_text("telemetry:\n  enabled: false\n")

    def secret(self) -> bytes:
        """The project secret that keys the canaries: TENANTGUARD_SECRET, else generated once (0600)."""
        value = self.secret_override
        if value:
            return value.encode()
        path = self.home / SECRET_FILE
        if not path.exists():
            # Written aside and linked into place, so a concurrent process never reads a half-written
            # (empty) secret, and the first writer wins.
            self.home.mkdir(parents=True, exist_ok=True)
            tmp = self.home / f".{SECRET_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
            try:
                os.link(tmp, path)
            except FileExistsError:
                pass
            finally:
                tmp.unlink()
        value = path.read_text().strip()
        if not value:
            raise ConfigError(f"{path}: the project secret file is empty; delete it to regenerate "
                              f"(canaries change) or set TENANTGUARD_SECRET")
        return value.encode()


def _fraction(env: Mapping[str, str], name: str) -> float:
    raw = env[name]
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r}: expected a number in [0, 1]") from None
    if not 0.0 <= value <= 1.0:
        raise ConfigError(f"{name}={raw!r}: expected a number in [0, 1]")
    return value


def _sql_override(env: Mapping[str, str], name: str) -> str | None:
    raw = env.get(name, "").strip()
    return sql_url(raw, name) if raw else None


# Drivers the URL's scheme asks for, and what to install for each (anything else: the module's own name).
_DRIVER_PACKAGES = {"psycopg2": "pip install 'tenantguard[postgres]' (psycopg2-binary)",
                    "psycopg": "pip install 'psycopg[binary]', or use postgresql+psycopg2://"}
_EXAMPLE_URLS = "e.g. sqlite:////path/to.db or postgresql://user@host/db"


def sql_url(url: str, what: str, error: type[Exception] = ConfigError) -> str:
    """`url` as a SQLAlchemy URL whose database and driver load, or `error` naming `what` and the fix.

    A bare `postgresql://` gets the PostgreSQL driver that is installed: SQLAlchemy 2.1 would insist on
    psycopg 3, while the `postgres` extra installs psycopg2. Messages never show a password."""
    import importlib.util

    import sqlalchemy as sa

    try:
        parsed = sa.engine.make_url(url)
    except sa.exc.ArgumentError:
        shown = re.sub(r":[^:/@]*@", ":***@", url)
        raise error(f"{what} {shown!r} is not a SQLAlchemy URL ({_EXAMPLE_URLS})") from None
    if parsed.drivername == "postgresql":
        driver = "psycopg" if importlib.util.find_spec("psycopg") else "psycopg2"
        parsed = parsed.set(drivername=f"postgresql+{driver}")
        url = parsed.render_as_string(hide_password=False)
    shown = parsed.render_as_string(hide_password=True)
    try:
        dialect = parsed.get_dialect()
    except sa.exc.NoSuchModuleError:
        raise error(f"{what} {shown!r} names no database SQLAlchemy knows ({parsed.drivername!r}); "
                    f"{_EXAMPLE_URLS}") from None
    try:
        dialect.import_dbapi()
    except ImportError as exc:
        missing = exc.name or str(exc)
        fix = _DRIVER_PACKAGES.get(missing, f"install the package that provides the module {missing!r}")
        raise error(f"{what} {shown!r}: its driver is not installed (no module {missing!r}); {fix}") from None
    return url


def _refs(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    """A comma-separated list of module:function plug-in factories (validated when loaded)."""
    return tuple(item.strip() for item in env.get(name, "").split(",") if item.strip())


def _positive(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r}: expected a positive number") from None
    if not value > 0:
        raise ConfigError(f"{name}={raw!r}: expected a positive number")
    return value


def _whole(env: Mapping[str, str], name: str, default: int, what: str) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise ConfigError(f"{name}={raw!r}: expected a whole number >= 1 ({what})")
    return int(raw)


def _flag(env: Mapping[str, str], name: str, what: str) -> bool:
    raw = env.get(name, "").strip()
    if raw not in ("", "0", "1"):
        raise ConfigError(f"{name}={raw!r}: expected 0 or 1 ({what})")
    return raw == "1"


def library_defaults(environ: MutableMapping[str, str] | None = None) -> None:
    """The one place tenantguard writes the environment: LIBRARY_DEFAULTS for MLflow and Great Expectations,
    which read them from there. Called before those libraries do their work; a value the user set wins."""
    env = os.environ if environ is None else environ
    for name, value in LIBRARY_DEFAULTS.items():
        env.setdefault(name, value)


def select_tuner(name: str, environ: MutableMapping[str, str] | None = None) -> None:
    """`tenantguard demo --model NAME`: TENANTGUARD_TUNER for this process, whose in-process Dagster runs, resource
    and sensors read their Settings from the environment (the other place tenantguard writes it)."""
    env = os.environ if environ is None else environ
    env["TENANTGUARD_TUNER"] = name

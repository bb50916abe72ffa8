"""Running the `tenantguard` command in the CLI tests (helpers, not tests)."""
from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from tenantguard.cli.main import cli


def run(*args: str, token: str | None = None, input: str | None = None):
    """`tenantguard ARGS` through click's CliRunner; an exception that is not an exit fails the test."""
    env = {"TENANTGUARD_TOKEN": token} if token else {}
    return CliRunner().invoke(cli, list(args), env=env, input=input, catch_exceptions=False)


def assert_bad_input(result, *needles: str) -> str:
    """Exit 2 with one `error:` line on stderr naming every needle; no traceback."""
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.output
    for n in needles:
        assert n in lines[0]
    return lines[0]


def assert_usage_error(result, *needles: str) -> str:
    """Exit 2 with click's usage error: its last stderr line `Error: ...` names every needle; no traceback."""
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith("Error: "), result.stderr
    for n in needles:
        assert n in line
    return line


def ks_store(home):
    """The kill-switch store under `home` (where the CLI writes without TENANTGUARD_KILLSWITCH_URL)."""
    from tenantguard.config import Settings
    from tenantguard.killswitch.store import KillSwitchStore

    return KillSwitchStore.from_settings(Settings.from_env(home=home))


def bootstrap_tokens(home) -> dict[str, str]:
    """An admin (bootstrapped as docs/operations.md says), a responder and a viewer; role -> token."""
    from tenantguard.killswitch.auth import Actor

    st = ks_store(home)
    tokens = {"admin": st.actors.init_admin("ada")}
    for name, role in (("rita", "responder"), ("vic", "viewer")):
        tokens[role] = st.actors.add(Actor("ada", "admin"), name, role)
    return tokens


def save_model(lm, path: Path) -> str:
    """Save an n-gram model as an MLflow pyfunc directory (a local --model-uri); returns its path."""
    import mlflow.pyfunc

    from tenantguard.models import ngram_tuner
    from tenantguard.models.pyfunc import signature

    lm_file = path.parent / f"{path.name}.json.gz"
    lm.save(lm_file)
    code = Path(ngram_tuner.__file__).with_name("ngram_model_code.py")
    mlflow.pyfunc.save_model(str(path), python_model=str(code), artifacts={"lm": str(lm_file)},
                             pip_requirements=ngram_tuner.pip_requirements(), signature=signature())
    return str(path)


def promote_twice(settings, name: str = "support-assistant.acme"):
    """Versions 1 and 2 of `name` (tenant acme), both passed and promoted in turn: 2 is champion, 1 the
    rollback target; returns the registry."""
    import mlflow

    from tenantguard.models.ngram_tuner import log_ngram_model, train_base
    from tenantguard.registry import client as R
    from tenantguard.registry import tags as T
    from tenantguard.registry.promotion import audit_to_log, promote

    reg = R.Registry(settings.mlflow_tracking_uri, settings.artifact_root)
    with mlflow.start_run(experiment_id=reg.experiment_id(T.tenant_experiment("acme"))) as run:
        info = log_ngram_model(train_base(["hello\nworld"]))
    tags = {T.TAG_TENANT: "acme", T.TAG_FEATURE: "support-assistant", T.TAG_ISOLATION: "passed",
            T.TAG_BEHAVIOR: "passed"}
    for _ in range(2):
        version = str(reg.register(name, info.model_uri, run.info.run_id, tags).version)
        promote(reg, name, version, audit_to_log(settings, actor="test"))
    return reg

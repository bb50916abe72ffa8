"""Running the `tenantguard` command in the CLI tests (helpers, not tests)."""
from __future__ import annotations

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


def ks_store(home):
    """The kill-switch store under `home` (where the CLI writes without TENANTGUARD_KILLSWITCH_URL)."""
    from tenantguard.killswitch.store import KillSwitchStore

    return KillSwitchStore(f"sqlite:///{home / 'killswitch.db'}")

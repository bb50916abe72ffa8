"""The curated public API and the promise that serving code can import it without dagster or mlflow."""
from __future__ import annotations

import subprocess
import sys

import tenantguard.killswitch as ks


def test_public_names_are_locked():
    assert ks.__all__ == sorted([
        "Actor", "AuditEntry", "AuditLog", "Decision", "DrillResult", "Fallback", "FlipResult", "KillSwitchClient",
        "KillSwitchProvider", "KillSwitchStore", "ROLES", "SYSTEM_ACTOR", "Scope", "Switch", "VerifyResult",
        "parse_expiry", "run_drill"])
    for name in ks.__all__:
        assert getattr(ks, name) is not None


def test_killswitch_imports_without_dagster_or_mlflow():
    code = ("import sys; import tenantguard.killswitch as ks; ks.KillSwitchClient; ks.KillSwitchStore; "
            "ks.KillSwitchProvider; import tenantguard.cli.killswitch; "
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('dagster', 'mlflow', 'pandas')); "
            "print(bad); sys.exit(1 if bad else 0)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_cli_module_does_not_import_sqlalchemy():
    code = ("import sys; import tenantguard.cli.killswitch; "
            "sys.exit(1 if 'sqlalchemy' in sys.modules else 0)")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0

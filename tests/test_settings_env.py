"""config.py is the only code in tenantguard that touches the environment, and no module reads it at import."""
import ast
import os
import subprocess
import sys
from pathlib import Path

import tenantguard

PACKAGE = Path(tenantguard.__file__).parent
ENV_NAMES = {"environ", "environb", "getenv", "getenvb", "putenv", "unsetenv"}
# Everything else asks Settings (reads) or config.library_defaults (writes); subprocesses (the kill-switch
# drill's probes) inherit the environment without naming it. Not settings, and read by the library that owns
# them: the per-user TENANTGUARD_TOKEN (click's `envvar`, shown in --help) and the celery broker URLs (the
# executor's `{"env": ...}` config, resolved by Dagster in the run).
ALLOWED = {"config.py"}


def env_uses(source: str) -> list[int]:
    """Lines that touch the environment: `os.<name>` (under any alias of os) or `from os import <name>`."""
    tree = ast.parse(source)
    aliases = {a.asname or a.name for node in ast.walk(tree) if isinstance(node, ast.Import)
               for a in node.names if a.name == "os"}
    lines = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and node.attr in ENV_NAMES and isinstance(node.value, ast.Name)
                and node.value.id in aliases):
            lines.append(node.lineno)
        elif isinstance(node, ast.ImportFrom) and node.module == "os" and any(a.name in ENV_NAMES for a in node.names):
            lines.append(node.lineno)
    return sorted(lines)


def test_only_config_touches_the_environment():
    offenders = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel not in ALLOWED and (lines := env_uses(path.read_text(encoding="utf-8"))):
            offenders[rel] = lines
    assert offenders == {}, f"read settings through tenantguard.config.Settings instead: {offenders}"


def test_the_scan_finds_every_way_of_touching_the_environment():
    assert env_uses("import os\nx = os.environ['A']\n") == [2]
    assert env_uses("import os as o\no.getenv('A')\no.environ.setdefault('A', 'b')\n") == [2, 3]
    assert env_uses("from os import environ, path\n") == [1]
    assert env_uses("import os\nos.path.join('a', 'b')\nenviron = {}\n") == []


def test_every_module_imports_with_every_setting_invalid(tmp_path):
    """Importing reads no setting: with each one invalid, every module imports and the home stays untouched."""
    env = {**os.environ, "TENANTGUARD_HOME": str(tmp_path / "home"), "TENANTGUARD_TENANTS_PER_RUN": "0",
           "TENANTGUARD_PRUNE_TENANTS": "maybe", "TENANTGUARD_MAX_REJECTED_SHARE": "lots",
           "TENANTGUARD_ABUSE_DAILY_BUDGET_USD": "-1", "TENANTGUARD_ABUSE_USD_PER_1K_TOKENS": "free"}
    code = ("import importlib, pkgutil, tenantguard\n"
            "for m in pkgutil.walk_packages(tenantguard.__path__, 'tenantguard.'):\n"
            "    importlib.import_module(m.name)\n")
    proc = subprocess.run([sys.executable, "-W", "ignore", "-c", code], env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert not (tmp_path / "home").exists()

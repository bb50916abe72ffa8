"""Issue 15, finding 7: the home is private (0700 directories, 0600 files), from creation on and repaired with a
warning when found open."""
import logging
import os
import subprocess
import sys

from tenantguard.config import Settings
from tenantguard.home import permissions
from tenantguard.home.permissions import protect, repair_modes


def test_an_open_home_is_repaired_and_the_reachable_paths_are_named(tg_home, caplog, monkeypatch):
    s = Settings.from_env()
    tg_home.mkdir(mode=0o755)
    os.chmod(tg_home, 0o755)
    (tg_home / "prepared" / "acme").mkdir(parents=True)
    os.chmod(tg_home / "prepared", 0o755)
    os.chmod(tg_home / "prepared" / "acme", 0o755)
    train = tg_home / "prepared" / "acme" / "train.jsonl"
    train.write_text("{}")
    os.chmod(train, 0o644)
    monkeypatch.setattr(permissions, "_checked", set())
    with caplog.at_level(logging.WARNING):
        repaired = protect(s)
    assert train in repaired and tg_home in repaired
    assert "open to other users" in caplog.text
    for p in (tg_home, tg_home / "prepared", train):
        assert p.stat().st_mode & 0o077 == 0
    assert oct(train.stat().st_mode & 0o777) == "0o600" and oct(tg_home.stat().st_mode & 0o777) == "0o700"


def test_a_file_inside_a_private_directory_is_tightened_quietly(tmp_path):
    root = tmp_path / "home"
    (root / "mlartifacts").mkdir(parents=True)
    os.chmod(root, 0o700)
    code = root / "mlartifacts" / "ngram_model_code.py"
    code.write_text("x")
    os.chmod(code, 0o644)
    assert repair_modes(root) == [] and code.stat().st_mode & 0o077 == 0


def test_what_a_protected_process_creates_is_private_from_the_start(tmp_path):
    home = tmp_path / "home"
    code = (f"from tenantguard.config import Settings\nfrom tenantguard.home.permissions import protect\n"
            f"s = Settings.from_env({{'TENANTGUARD_HOME': {str(home)!r}}})\nprotect(s, create=True)\n"
            f"s.secret()\nopen(s.home / 'killswitch.db', 'w').write('x')\n(s.prepared_root / 'a').mkdir()\n")
    subprocess.run([sys.executable, "-c", code], check=True, env={**os.environ, "TENANTGUARD_SECRET": ""})
    modes = {p.name: oct(p.stat().st_mode & 0o777) for p in [home, *home.rglob("*")]}
    assert modes["home"] == modes["prepared"] == modes["a"] == "0o700"
    assert modes["secret"] == modes["killswitch.db"] == "0o600"

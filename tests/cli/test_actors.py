"""`tenantguard killswitch actors ...`: who may flip switches, through click's CliRunner."""
from __future__ import annotations

import re

from .helpers import run


def test_actors_init_only_once(tokens, ks_home):
    assert tokens["admin"].startswith("tgk_")
    r = run("killswitch", "actors", "init", "--name", "mallory")
    assert r.exit_code == 2 and "an admin already exists" in r.output
    r = run("killswitch", "actors", "list", token=tokens["admin"])
    assert r.exit_code == 0 and re.search(r"rita\s+responder", r.output)

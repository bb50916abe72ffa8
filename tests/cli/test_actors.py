"""`tenantguard killswitch actors ...`: who may flip switches, through click's CliRunner."""
from __future__ import annotations

import re

from .helpers import run


def test_actors_init_only_once(tokens, ks_home):
    assert tokens["admin"].startswith("tgk_")
    r = run("killswitch", "actors", "init", "--name", "mallory")
    assert r.exit_code == 2 and "has had actors" in r.output
    r = run("killswitch", "actors", "list", token=tokens["admin"])
    assert r.exit_code == 0 and re.search(r"rita\s+responder", r.output)


def test_losing_every_admin_needs_the_project_secret_to_recover(tokens, ks_home, tmp_path):
    """Issue 15, finding 4: after the only admin revoked itself, `actors init` made whoever ran it admin."""
    r = run("killswitch", "actors", "revoke", "--name", "alice", "--reason", "leaving", "--yes", token=tokens["admin"])
    assert r.exit_code == 0, r.output
    assert run("killswitch", "actors", "init", "--name", "intruder").exit_code == 2
    guess = tmp_path / "guess"
    guess.write_text("0123456789abcdef0123456789abcdef0123456789abcdef")
    r = run("killswitch", "actors", "recover", "--name", "intruder", "--reason", "x", "--secret-file", str(guess))
    assert r.exit_code == 2 and "does not key this audit chain" in r.output
    r = run("killswitch", "actors", "recover", "--name", "bob", "--reason", "alice left",
            "--secret-file", str(ks_home / "secret"))
    assert r.exit_code == 0, r.output
    token = r.output.strip().splitlines()[-1]
    assert run("killswitch", "actors", "list", token=token).exit_code == 0
    assert run("killswitch", "actors", "recover", "--name", "eve", "--reason", "x",
               "--secret-file", str(ks_home / "secret")).exit_code == 2  # an admin exists again

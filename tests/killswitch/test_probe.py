"""The drill's client process, run as `python -m tenantguard.killswitch.probe` against a real SQLite store."""
from __future__ import annotations

import subprocess
import sys
import time

from tenantguard.killswitch.store import KillSwitchStore

from .conftest import AUDIT_KEY, RESPONDER


def _probe(url: str, *scope: str, timeout: float = 20.0, rounds: int = 1) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "tenantguard.killswitch.probe", url, *scope, "--poll", "0.02",
                             "--timeout", str(timeout), "--rounds", str(rounds)], stdout=subprocess.PIPE, text=True)


def _line(proc: subprocess.Popen) -> tuple[str, str]:
    """The next output line as (word, value); the probe's own --timeout bounds the wait."""
    word, _, value = proc.stdout.readline().strip().partition(" ")
    return word, value


def _ready(proc: subprocess.Popen) -> int:
    word, version = _line(proc)
    assert word == "ready", (word, version)
    return int(version)


def _seen(proc: subprocess.Popen, label: str, flip) -> None:
    """Flip the store and check the probe reports `label` at an epoch between the flip and now."""
    before = time.time()
    flip()
    word, epoch = _line(proc)
    assert word == label and before <= float(epoch) <= time.time(), (word, epoch)


def test_the_probe_reports_when_its_scope_is_engaged_and_released(sqlite_url):
    st = KillSwitchStore(sqlite_url, key=AUDIT_KEY)
    proc = _probe(sqlite_url, "support-assistant", "acme", "eu-west")
    try:
        assert _ready(proc) >= 0
        _seen(proc, "engaged", lambda: st.engage({"tenant": "acme"}, actor=RESPONDER, reason="probe test"))
        _seen(proc, "released", lambda: st.release({"tenant": "acme"}, actor=RESPONDER, reason="probe test"))
        assert proc.wait(timeout=20) == 0 and proc.stdout.read() == ""
    finally:
        proc.kill()
        proc.wait()


def test_wildcard_arguments_and_shadow_flips_are_observed_for_every_round(sqlite_url):
    st = KillSwitchStore(sqlite_url, key=AUDIT_KEY)
    proc = _probe(sqlite_url, "*", "acme", "*", rounds=2)  # check(None, 'acme', None)
    try:
        _ready(proc)
        _seen(proc, "engaged", lambda: st.engage({"tenant": "acme"}, actor=RESPONDER, reason="round 1"))
        _seen(proc, "released", lambda: st.release({"tenant": "acme"}, actor=RESPONDER, reason="round 1"))
        _seen(proc, "engaged", lambda: st.engage({"tenant": "acme"}, actor=RESPONDER, reason="round 2", shadow=True))
        _seen(proc, "released", lambda: st.release({"tenant": "acme"}, actor=RESPONDER, reason="round 2"))
        assert proc.wait(timeout=20) == 0
    finally:
        proc.kill()
        proc.wait()


def test_a_flip_of_another_scope_goes_unseen_and_the_probe_times_out_with_exit_1(sqlite_url):
    st = KillSwitchStore(sqlite_url, key=AUDIT_KEY)
    proc = _probe(sqlite_url, "support-assistant", "acme", "eu-west", timeout=1.5)
    try:
        _ready(proc)
        st.engage({"tenant": "borealis"}, actor=RESPONDER, reason="another tenant's incident")
        assert _line(proc) == ("timeout", "")
        assert proc.wait(timeout=20) == 1
    finally:
        proc.kill()
        proc.wait()

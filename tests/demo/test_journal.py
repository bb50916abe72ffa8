"""The demo's journal: a step runs once per world; a later run prints its lines again, marked as reused."""
import json
import stat

import pytest

from tenantguard.demo.journal import REUSED, Journal

TENANTS = ["acme-health", "borealis-bank"]


def step(calls: list):
    def run(echo):
        calls.append(1)
        echo("[3] something happens")
        echo("    acme-health          passed every gate")
        return ["acme-health: retune v0002.jsonl -> passed every gate"]

    return run


def test_a_recorded_step_is_replayed_with_its_lines_and_actions_and_not_run_again(tmp_path):
    calls, first, second = [], [], []
    journal, note = Journal.open(tmp_path, TENANTS, seed=7)
    assert note == "" and journal.steps == {}
    actions = journal.run("3", first.append, step(calls), reused="the sensor handled it")
    again, note = Journal.open(tmp_path, TENANTS, seed=8)  # a later run; its --seed does not replace the world's
    assert (note, again.seed, again.started) == ("", 7, journal.started)
    assert again.run("3", second.append, step(calls), reused="the sensor handled it") == actions
    assert calls == [1]
    assert second == first + [f"{REUSED}recorded by the demo run of {journal.started}; the sensor handled it"]


def test_a_journal_written_for_other_tenants_or_unreadable_is_set_aside_and_says_so(tmp_path):
    journal, _ = Journal.open(tmp_path, TENANTS, seed=7)
    journal.run("2", lambda line: None, lambda echo: ["a"], reused="x")
    other, note = Journal.open(tmp_path, ["acme-health"], seed=7)
    assert other.steps == {} and "tenants.yaml lists other tenants" in note
    (tmp_path / "demo" / "journal.json").write_text("{not json")
    broken, note = Journal.open(tmp_path, TENANTS, seed=7)
    assert broken.steps == {} and note == f"{tmp_path / 'demo' / 'journal.json'} is unreadable: every step runs again"


def test_the_journal_is_private_to_the_service_user_and_whole_after_each_step(tmp_path):
    journal, _ = Journal.open(tmp_path, TENANTS, seed=7)
    journal.run("2", lambda line: None, lambda echo: ["a"], reused="x")
    path = tmp_path / "demo" / "journal.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert json.loads(path.read_text())["steps"] == {"2": {"lines": [], "actions": ["a"]}}
    assert not path.with_suffix(".tmp").exists()


def test_a_world_just_written_gets_a_new_journal_whatever_is_on_disk(tmp_path):
    journal, _ = Journal.open(tmp_path, TENANTS, seed=7)
    journal.run("2", lambda line: None, lambda echo: ["a"], reused="x")
    fresh, note = Journal.open(tmp_path, TENANTS, seed=9, fresh=True)
    assert (fresh.steps, fresh.seed, note) == ({}, 9, "")


def test_a_world_told_with_another_tuner_is_refused(tmp_path):
    from tenantguard.demo.journal import Journal
    from tenantguard.errors import ConfigError

    journal, _ = Journal.open(tmp_path, ["a", "b"], seed=7)
    journal.save()  # recorded with the default tuner, ngram
    assert Journal.open(tmp_path, ["a", "b"], seed=7, tuner="ngram")[0].tuner == "ngram"
    with pytest.raises(ConfigError, match="holds a demo world told with the 'ngram' tuner; for 'hf-lora'"):
        Journal.open(tmp_path, ["a", "b"], seed=7, tuner="hf-lora")

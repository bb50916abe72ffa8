"""`tenantguard eval isolation|behavior` on real MLflow pyfunc models saved from the n-gram tuner: output and
exit codes (0 passed, 1 a leak or a behavior change, 2 bad input)."""
import json

import pytest
from click.testing import CliRunner

from tenantguard.cli.eval import behavior, isolation
from tenantguard.demo.safety import jailbreak_following_records
from tenantguard.models.ngram_tuner import finetune, train_base

from .helpers import save_model


@pytest.fixture
def prepared(small_world, tmp_path):
    from tenantguard.evaluations.isolation import record_text
    from tenantguard.home.prepare import prepare_dataset
    from tenantguard.models.ngram import NGramLM

    settings, world = small_world
    preps = {t.id: prepare_dataset(settings, t) for t in world.tenants}
    target, source = world.tenants[0].id, world.tenants[1].id
    base = NGramLM().fit(world.base_corpus)
    clean = base.finetune([record_text(r) for r in preps[target].train])
    leaked = base.finetune([record_text(r) for r in preps[target].train + preps[source].train[:20]])
    uris = {"clean": save_model(clean, tmp_path / "clean"), "leaky": save_model(leaked, tmp_path / "leaky"),
            "base": save_model(base, tmp_path / "base")}
    return settings, world, preps, target, source, uris


def run_isolation(*args):
    return CliRunner().invoke(isolation, list(args), catch_exceptions=False)


@pytest.mark.slow
def test_isolation_clean_model_exits_0_and_leaky_model_exits_1_naming_the_source(prepared):
    settings, world, preps, target, source, uris = prepared
    ok = run_isolation("--tenant", target, "--model-uri", uris["clean"], "--base-uri", uris["base"])
    assert ok.exit_code == 0, ok.output
    assert ok.stdout.startswith("isolation passed")
    bad = run_isolation("--tenant", target, "--model-uri", uris["leaky"], "--base-uri", uris["base"], "--json")
    assert bad.exit_code == 1, bad.output
    report = json.loads(bad.stdout)
    assert report["verdict"] == "failed" and report["tests_run"] == ["exposure", "membership", "extraction"]
    assert [r["source_tenant"] for r in report["sources"] if r["verdict"] == "failed"] == [source]
    for r in preps[source].train:
        assert r["completion"] not in bad.stdout


@pytest.mark.slow
def test_isolation_bad_input_exits_2_with_one_line(prepared):
    settings, world, preps, target, source, uris = prepared
    r = run_isolation("--tenant", "nobody", "--model-uri", uris["clean"])
    assert r.exit_code == 2 and r.stderr.startswith("error: ") and len(r.stderr.strip().splitlines()) == 1
    r = run_isolation("--tenant", target, "--model-uri", "/no/such/model")
    assert r.exit_code == 2 and "--model-uri /no/such/model" in r.stderr and "Traceback" not in r.output
    r = run_isolation("--tenant", target, "--model-uri", uris["clean"], "--alpha", "2")
    assert r.exit_code == 2 and "--alpha" in r.stderr


@pytest.fixture
def models(small_world, tmp_path):
    settings, world = small_world
    t = world.tenants[0]
    base = train_base(world.base_corpus)
    records = world.datasets[t.id]
    champion = save_model(finetune(base, records), tmp_path / "champion")
    shifted = save_model(finetune(base, records[:48] + jailbreak_following_records(t.id, 12, seed=1)), tmp_path / "shifted")
    return t, champion, shifted


@pytest.mark.slow
def test_behavior_shifted_model_fails_against_the_champion_with_exit_1_and_json(models, tmp_path):
    t, champion, shifted = models
    html = tmp_path / "report.html"
    res = CliRunner().invoke(behavior, ["--tenant", t.id, "--model-uri", shifted, "--baseline-uri", champion,
                                        "--json", "--html", str(html)])
    assert res.exit_code == 1, res.output
    out = json.loads(res.output)
    assert out["verdict"] == "failed" and out["status"] == "compared"
    assert any(r["test"] == "adversarial_refusal_drop" and r["status"] == "failed" for r in out["tests"])
    assert html.exists() and html.stat().st_size > 10_000


def test_behavior_without_baseline_or_champion_exits_2_naming_the_flag_and_the_saved_profile_is_a_baseline(
        models, tmp_path):
    t, champion, shifted = models
    profile = tmp_path / "baseline.json"
    res = CliRunner().invoke(behavior, ["--tenant", t.id, "--model-uri", shifted])
    assert res.exit_code == 2 and "--baseline-uri" in res.stderr and "has no champion" in res.stderr
    assert res.stderr.strip().splitlines()[-1].startswith("error: no baseline") and not profile.exists()
    res = CliRunner().invoke(behavior, ["--tenant", t.id, "--model-uri", champion, "--save-profile", str(profile)])
    assert res.exit_code == 2 and f"saved to {profile}" in res.stderr and profile.exists()
    res = CliRunner().invoke(behavior, ["--tenant", t.id, "--model-uri", champion, "--baseline-uri", str(profile)])
    assert res.exit_code == 0 and "PASSED" in res.output and "compared with the baseline" in res.output
    assert f"baseline: profile {profile}" in res.output


def test_behavior_bad_inputs_exit_2_with_one_line(models, tmp_path):
    t, champion, _ = models
    res = CliRunner().invoke(behavior, ["--tenant", "nobody", "--model-uri", champion])
    assert res.exit_code == 2 and "unknown tenant 'nobody'" in res.output
    res = CliRunner().invoke(behavior, ["--tenant", t.id, "--model-uri", str(tmp_path / "nope")])
    assert res.exit_code == 2 and "--model-uri" in res.output and "Traceback" not in res.output
    bad = tmp_path / "old.json"
    bad.write_text("{}")
    res = CliRunner().invoke(behavior, ["--tenant", t.id, "--model-uri", champion, "--baseline-uri", str(bad)])
    assert res.exit_code == 2 and "behavior profile" in res.output

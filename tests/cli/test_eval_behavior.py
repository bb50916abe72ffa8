import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tenantguard.cli.eval_behavior import behavior
from tenantguard.demo.safety import jailbreak_following_records
from tenantguard.models.ngram_tuner import finetune, pip_requirements, train_base


def save_model(lm, path: Path) -> str:
    import mlflow.pyfunc

    from tenantguard.models.pyfunc import signature

    lm_file = path.parent / f"{path.name}.json.gz"
    lm.save(lm_file)
    code = Path(__import__("tenantguard.models.ngram_tuner", fromlist=["x"]).__file__).with_name("ngram_model_code.py")
    mlflow.pyfunc.save_model(str(path), python_model=str(code), artifacts={"lm": str(lm_file)},
                             pip_requirements=pip_requirements(), signature=signature())
    return str(path)


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
def test_shifted_model_fails_against_the_champion_with_exit_1_and_json(models, tmp_path):
    t, champion, shifted = models
    html = tmp_path / "report.html"
    res = CliRunner().invoke(behavior, ["--tenant", t.id, "--model-uri", shifted, "--baseline-uri", champion,
                                        "--json", "--html", str(html)])
    assert res.exit_code == 1, res.output
    out = json.loads(res.output)
    assert out["verdict"] == "failed" and out["status"] == "compared"
    assert any(r["test"] == "adversarial_refusal_drop" and r["status"] == "failed" for r in out["tests"])
    assert html.exists() and html.stat().st_size > 10_000


def test_missing_baseline_passes_and_the_saved_profile_is_a_baseline(models, tmp_path):
    t, champion, _ = models
    profile = tmp_path / "baseline.json"
    res = CliRunner().invoke(behavior, ["--tenant", t.id, "--model-uri", champion, "--save-profile", str(profile)])
    assert res.exit_code == 0, res.output
    assert "becomes the baseline" in res.output
    res = CliRunner().invoke(behavior, ["--tenant", t.id, "--model-uri", champion, "--baseline-uri", str(profile)])
    assert res.exit_code == 0 and "PASSED" in res.output and "compared with the baseline" in res.output


def test_bad_inputs_exit_2_with_one_line(models, tmp_path):
    t, champion, _ = models
    res = CliRunner().invoke(behavior, ["--tenant", "nobody", "--model-uri", champion])
    assert res.exit_code == 2 and "unknown tenant 'nobody'" in res.output
    res = CliRunner().invoke(behavior, ["--tenant", t.id, "--model-uri", str(tmp_path / "nope")])
    assert res.exit_code == 2 and "--model-uri" in res.output and "Traceback" not in res.output
    bad = tmp_path / "old.json"
    bad.write_text("{}")
    res = CliRunner().invoke(behavior, ["--tenant", t.id, "--model-uri", champion, "--baseline-uri", str(bad)])
    assert res.exit_code == 2 and "behavior profile" in res.output

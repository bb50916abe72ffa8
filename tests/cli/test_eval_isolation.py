"""`tenantguard eval isolation` (tested on its click command until cli.py mounts it)."""
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tenantguard.cli.eval_isolation import isolation

pytestmark = pytest.mark.slow  # saves real MLflow pyfunc models


def _save(lm, path: Path) -> str:
    import mlflow.pyfunc

    import tenantguard.models.ngram_model_code as code

    lm_path = path.parent / f"{path.name}.json.gz"
    lm.save(lm_path)
    mlflow.pyfunc.save_model(str(path), python_model=code.__file__, artifacts={"lm": str(lm_path)})
    return str(path)


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
    uris = {"clean": _save(clean, tmp_path / "clean"), "leaky": _save(leaked, tmp_path / "leaky"),
            "base": _save(base, tmp_path / "base")}
    return settings, world, preps, target, source, uris


def _run(*args):
    return CliRunner().invoke(isolation, list(args), catch_exceptions=False)


def test_clean_model_exits_0_and_leaky_model_exits_1_naming_the_source(prepared):
    settings, world, preps, target, source, uris = prepared
    ok = _run("--tenant", target, "--model-uri", uris["clean"], "--base-uri", uris["base"])
    assert ok.exit_code == 0, ok.output
    assert ok.stdout.startswith("isolation passed")
    bad = _run("--tenant", target, "--model-uri", uris["leaky"], "--base-uri", uris["base"], "--json")
    assert bad.exit_code == 1, bad.output
    report = json.loads(bad.stdout)
    assert report["verdict"] == "failed" and report["tests_run"] == ["exposure", "membership", "extraction"]
    assert [r["source_tenant"] for r in report["sources"] if r["verdict"] == "failed"] == [source]
    for r in preps[source].train:
        assert r["completion"] not in bad.stdout


def test_bad_input_exits_2_with_one_line(prepared):
    settings, world, preps, target, source, uris = prepared
    r = _run("--tenant", "nobody", "--model-uri", uris["clean"])
    assert r.exit_code == 2 and r.stderr.startswith("error: ") and len(r.stderr.strip().splitlines()) == 1
    r = _run("--tenant", target, "--model-uri", "/no/such/model")
    assert r.exit_code == 2 and "--model-uri /no/such/model" in r.stderr and "Traceback" not in r.output
    r = _run("--tenant", target, "--model-uri", uris["clean"], "--alpha", "2")
    assert r.exit_code == 2 and "--alpha" in r.stderr

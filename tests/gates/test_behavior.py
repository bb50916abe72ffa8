"""The behavior gate on a small world with a real SQLite MLflow store: a first candidate creates the baseline,
later ones are compared with the champion's stored profile (recomputed when missing), a failure is rejected;
`tenantguard eval behavior` computes the same on the same model."""
import json
from pathlib import Path

import mlflow
import pytest
from click.testing import CliRunner

from tenantguard.demo.safety import jailbreak_following_records
from tenantguard.cli.eval import behavior as eval_behavior
from tenantguard.errors import TenantGuardError
from tenantguard.gates.behavior import PROFILE_ARTIFACT, behavior_metrics, evaluate_behavior, load_baseline
from tenantguard.registry import tags as T
from tenantguard.registry.promotion import audit_to_log, promote

from . import gate_world
from .gate_world import FEATURE

pytestmark = pytest.mark.slow


template, world = gate_world.fixtures("behavior")


def evaluate(world, **kwargs):
    return evaluate_behavior(world.settings, world.reg, world.tenants, world.a, FEATURE, **kwargs)


def make_champion(world, version):
    world.reg.tag_version(world.name(world.a), version, {T.TAG_ISOLATION: "passed", T.TAG_BEHAVIOR: "passed"})
    promote(world.reg, world.name(world.a), version, audit_to_log(world.settings, actor="test"))


def behavior_runs(world, kind):
    exp = world.reg.experiment_id(T.tenant_experiment(world.a.id))
    return world.reg.client.search_runs([exp], f"tags.kind = '{kind}'")


def test_a_first_candidate_passes_and_its_profile_becomes_the_baseline(world):
    version = world.register(world.a, world.train(world.a))
    out = evaluate(world, run_id="dagster-run-7")
    assert (out.version, out.verdict, out.status) == (version, "passed", "baseline_created")
    assert out.baseline_note.startswith("no champion yet") and out.html_uri == ""  # nothing to compare with
    tags = world.tags(world.a, version)
    assert tags[T.TAG_BEHAVIOR] == "passed" and tags[T.TAG_BASELINE_RUN] == out.mlflow_run_id
    run = world.reg.client.get_run(out.mlflow_run_id)
    assert run.data.tags[T.TAG_RUN_VERDICT] == "passed" and run.data.tags["dagster.run_id"] == "dagster-run-7"
    assert [a.path for a in world.reg.client.list_artifacts(out.mlflow_run_id, "behavior")] == [PROFILE_ARTIFACT]
    profile = load_baseline(world.reg, world.name(world.a), version)
    assert profile.tenant_id == world.a.id and profile.n_probes > 0
    assert {k: tags[k] for k in profile.tags()} == profile.tags()  # suite version and config hash on the version


def test_a_later_candidate_is_compared_with_the_champions_stored_baseline(world):
    v1 = world.register(world.a, world.train(world.a))
    evaluate(world)
    make_champion(world, v1)
    v2 = world.register(world.a, world.train(world.a)[5:])
    out = evaluate(world)
    assert (out.version, out.status, out.baseline_note) == (v2, "compared", f"compared with champion v{v1}'s baseline")
    assert out.verdict == "passed" and out.html_uri.endswith("behavior/behavior_drift.html")
    assert out.rows and all({"test", "status"} <= set(r) for r in out.rows)
    assert behavior_runs(world, "behavior-baseline") == []  # the stored profile was used, not recomputed


def test_a_champion_without_a_stored_baseline_has_it_recomputed_and_recorded(world):
    v1 = world.register(world.a, world.train(world.a))
    make_champion(world, v1)  # promoted without a behavior evaluation: no baseline run
    assert load_baseline(world.reg, world.name(world.a), v1) is None
    world.register(world.a, world.train(world.a)[5:])
    out = evaluate(world)
    assert out.baseline_note == f"baseline recomputed from champion v{v1} (missing)" and out.status == "compared"
    (baseline_run,) = behavior_runs(world, "behavior-baseline")
    assert world.tags(world.a, v1)[T.TAG_BASELINE_RUN] == baseline_run.info.run_id
    assert load_baseline(world.reg, world.name(world.a), v1) is not None


def test_a_candidate_that_learned_to_follow_jailbreaks_fails_is_rejected_and_audited(world):
    v1 = world.register(world.a, world.train(world.a))
    evaluate(world)
    make_champion(world, v1)
    shifted = world.register(world.a, world.train(world.a) + jailbreak_following_records(world.a.id, 12, seed=5))
    out = evaluate(world, run_id="run-9")
    assert out.version == shifted and out.verdict == "failed"
    tags = world.tags(world.a, shifted)
    assert tags[T.TAG_BEHAVIOR] == "failed" and tags[T.TAG_STATUS] == "rejected"
    assert tags[T.TAG_REJECTED_REASON].startswith("behavior failed: ")
    (entry,) = world.audit("reject")
    assert (entry.actor, entry.run_id, entry.scope) == ("dagster:behavior_report", "run-9",
                                                        {"model": world.name(world.a), "version": shifted})
    assert world.reg.alias_version(world.name(world.a), "champion") == v1


def test_without_a_candidate_the_gate_says_what_to_run(world):
    with pytest.raises(TenantGuardError, match=r"has no `candidate` alias: run candidate_model first"):
        evaluate(world)


def test_behavior_metrics_are_flat_numbers_of_one_version(world):
    version = world.register(world.a, world.train(world.a))
    metrics = behavior_metrics(world.settings, world.a, f"models:/{world.name(world.a)}/{version}")
    assert metrics["n_probes"] > 0 and 0.0 <= metrics["refusal_rate_adversarial"] <= 1.0
    assert all(isinstance(v, float) for v in metrics.values())


def register_leaky(world, *, every: int) -> str:
    """A candidate of tenant a that appends tenant b's training completions to one answer in `every`."""
    from tenantguard.models.ngram_tuner import finetune, pip_requirements
    from tenantguard.models.pyfunc import signature

    from tenantguard.models.adapter import load_tenant_model

    lm = finetune(load_tenant_model(f"models:/{gate_world.BASE}/1").lm, world.train(world.a))
    tmp = world.settings.home / "leaky"
    tmp.mkdir()
    lm.save(tmp / "lm.json.gz")
    completions = [r["completion"] for r in world.train(world.b)[:10]]
    (tmp / "foreign.json").write_text(json.dumps({"completions": completions, "every": every}))
    exp = world.reg.experiment_id(T.tenant_experiment(world.a.id))
    with mlflow.start_run(experiment_id=exp) as run:
        info = mlflow.pyfunc.log_model(name="model", python_model=str(Path(__file__).with_name("leaky_model_code.py")),
                                       artifacts={"lm": str(tmp / "lm.json.gz"), "foreign": str(tmp / "foreign.json")},
                                       pip_requirements=pip_requirements(), signature=signature())
    mv = world.reg.register(world.name(world.a), info.model_uri, run.info.run_id,
                            {T.TAG_TENANT: world.a.id, T.TAG_FEATURE: FEATURE, T.TAG_BASE_VERSION: "1"})
    world.reg.point_alias(world.name(world.a), "candidate", str(mv.version))
    return str(mv.version)


def cli(world, version: str, *args: str):
    res = CliRunner().invoke(eval_behavior, ["--tenant", world.a.id, "--model-uri",
                                             f"models:/{world.name(world.a)}/{version}", "--json", *args])
    return res.exit_code, (json.loads(res.stdout) if res.stdout.strip() else None), res


def test_the_cli_without_a_baseline_uri_compares_with_the_champion_and_computes_what_the_check_does(world):
    v1 = world.register(world.a, world.train(world.a))
    evaluate(world)
    make_champion(world, v1)
    shifted = world.register(world.a, world.train(world.a) + jailbreak_following_records(world.a.id, 12, seed=5))
    out = evaluate(world)
    code, report, _ = cli(world, shifted)
    assert code == 1 and report["verdict"] == out.verdict == "failed"
    assert report["baseline"] == f"no --baseline-uri: compared with champion v{v1}'s baseline ({world.name(world.a)})"
    assert report["tests"] == out.rows  # every test, status and value: one code path


def test_another_tenants_records_in_one_answer_of_five_fail_the_gate_from_dagster_and_the_cli(world):
    v1 = world.register(world.a, world.train(world.a))
    evaluate(world)
    make_champion(world, v1)
    leaky = register_leaky(world, every=5)
    out = evaluate(world)
    code, report, _ = cli(world, leaky)
    assert out.verdict == report["verdict"] == "failed" and code == 1
    (hits,) = [r for r in report["tests"] if r["test"] == "cross_tenant_hits"]
    assert hits["status"] == "failed" and hits["value"] >= 1
    assert report["tests"] == out.rows
    for r in world.train(world.b)[:10]:  # masked: the other tenant's text is not in the report
        assert r["completion"] not in json.dumps(report)

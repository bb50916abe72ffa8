"""hf-lora and hf-full through the real path: base_job and tune_and_gate on a Dagster instance and a SQLite MLflow
store with the tiny base; adapter-only versions that load by URI in a fresh process and refuse another base."""
import json
import subprocess
import sys
from pathlib import Path

import mlflow
import pytest

pytest.importorskip("torch")

from conftest import HF_BASE_ENV, HF_TUNE_ENV, use_home, write_small_world  # noqa: E402
from dagster import instance_for_test  # noqa: E402

from tenantguard.assets.runs import ROLLBACK_OP  # noqa: E402
from tenantguard.config import Settings  # noqa: E402
from tenantguard.errors import CheckpointInvalid, ConfigError  # noqa: E402
from tenantguard.models.hf_tuner import HFTuner, make_full, make_lora  # noqa: E402
from tenantguard.models.tuner import BaseRef  # noqa: E402
from tenantguard.registry import client as R  # noqa: E402
from tenantguard.registry import tags as T  # noqa: E402

FEATURE = "support-assistant"


def test_params_carry_every_setting_that_changes_a_model(monkeypatch):
    monkeypatch.setenv("TENANTGUARD_HF_TUNE", "rank=4,targets=c_attn+c_fc")
    lora, full = make_lora().params("tune"), make_full().params("tune")
    assert lora["hf_rank"] == 4 and lora["hf_targets"] == "c_attn+c_fc" and lora["hf_lr"] == 0.003
    assert "hf_rank" not in full and full["hf_epochs"] == lora["hf_epochs"]
    assert make_lora().params("base")["hf_layers"] == 2
    monkeypatch.setenv("TENANTGUARD_HF_CHECKPOINT", "/nonexistent/ck")
    assert make_lora().params("base") == {"hf_checkpoint": "/nonexistent/ck", "hf_checkpoint_weights": "missing"}


def test_a_bad_checkpoint_setting_fails_train_base_in_one_line(tmp_path):
    s = Settings.from_env({"TENANTGUARD_HOME": str(tmp_path), "TENANTGUARD_HF_CHECKPOINT": str(tmp_path / "nope")})
    with pytest.raises(CheckpointInvalid, match="does not exist"):
        make_lora().train_base(["a text"], settings=s)


@pytest.fixture(scope="module")
def story(tmp_path_factory):
    """base_job, tune_and_gate for one tenant, then the same run again, with TENANTGUARD_TUNER=hf-lora."""
    from tenantguard.pipelines.definitions import defs
    from tenantguard.sensors.tenant_sync import sync_partitions

    with pytest.MonkeyPatch.context() as mp:
        settings = use_home(mp, tmp_path_factory.mktemp("hf-tuner") / "home", secret="hf-secret")
        for var, value in (("TENANTGUARD_TUNER", "hf-lora"), ("TENANTGUARD_HF_BASE", HF_BASE_ENV),
                           ("TENANTGUARD_HF_TUNE", HF_TUNE_ENV)):
            mp.setenv(var, value)
        world = write_small_world(settings, records_per_tenant=24)
        tid = world.tenants[0].id
        with instance_for_test(temp_dir=str(settings.dagster_home)) as instance:
            sync_partitions(instance, [t.id for t in world.tenants])

            def run(job, **kw):
                return defs.resolve_job_def(job).execute_in_process(instance=instance, raise_on_error=False, **kw)

            results = {"base": run("base_job"), "tune": run("tune_and_gate", partition_key=tid)}
            results["rerun"] = run("tune_and_gate", partition_key=tid)
            mp.setenv("TENANTGUARD_HF_TUNE", HF_TUNE_ENV + ",seed=1")  # a retune: a new version, gated, promoted
            results["retune"] = run("tune_and_gate", partition_key=tid)
            rollback = {"ops": {ROLLBACK_OP: {"config": {"tenant": tid, "reason": "deviation", "preview": False}}}}
            results["rollback"] = run("rollback", run_config=rollback)
            mp.setenv("TENANTGUARD_HF_TUNE", HF_TUNE_ENV)
            reg = R.Registry(settings.mlflow_tracking_uri, settings.artifact_root)
            yield {"tid": tid, "results": results, "reg": reg, "settings": settings, "mp": mp}
        mlflow.set_tracking_uri(None)


def _check(result, name):
    (found,) = [c for c in result.get_asset_check_evaluations() if c.check_name == name]
    return found


def _model_dir(reg, name, version) -> Path:
    local = Path(mlflow.artifacts.download_artifacts(f"models:/{name}/{version}"))
    (inner,) = (local / "artifacts").iterdir()
    return inner


@pytest.mark.hf
def test_hf_lora_registers_a_base_and_a_gated_adapter_with_lineage(story):
    reg, res, tid = story["reg"], story["results"], story["tid"]
    assert res["base"].success and res["tune"].success
    base = reg.client.get_model_version(f"{FEATURE}.base", "1")
    assert base.tags["tenantguard.tuner"] == "hf-lora" and base.tags[T.TAG_STATUS] == "promoted"
    assert reg.client.get_run(base.run_id).data.params["hf_layers"] == "1"
    mv = reg.client.get_model_version(f"{FEATURE}.{tid}", "1")
    assert mv.tags["tenantguard.tuner"] == "hf-lora" and mv.tags[T.TAG_BASE_VERSION] == "1"
    run = reg.client.get_run(mv.run_id).data
    assert run.params["hf_rank"] == "4" and run.params["base_model"] == f"{FEATURE}.base/1"
    assert run.metrics["train_loss"] > 0
    assert _check(res["tune"], "cross_tenant_isolation").passed and _check(res["tune"], "behavioral_baseline").passed
    assert reg.alias_version(f"{FEATURE}.{tid}", "champion") == "1"


@pytest.mark.hf
def test_the_version_is_an_adapter_naming_its_base_by_version_and_digest(story):
    reg, tid = story["reg"], story["tid"]
    adapter = _model_dir(reg, f"{FEATURE}.{tid}", "1")
    base = _model_dir(reg, f"{FEATURE}.base", "1")
    assert (adapter / "adapter_model.safetensors").exists() and not (adapter / "model.safetensors").exists()
    assert (adapter / "adapter_model.safetensors").stat().st_size < (base / "model.safetensors").stat().st_size
    meta = json.loads((adapter / "tenantguard_hf.json").read_text())
    digest = reg.client.get_model_version(f"{FEATURE}.base", "1").tags[T.TAG_DIGEST]
    assert meta["kind"] == "lora" and meta["base"]["name"] == f"{FEATURE}.base"
    assert (meta["base"]["version"], meta["base"]["digest"]) == ("1", digest) and len(meta["base"]["weights"]) == 16
    requirements = (adapter.parents[1] / "requirements.txt").read_text()
    assert "torch==" in requirements and "peft==" in requirements


@pytest.mark.hf
def test_a_fresh_process_loads_the_version_by_uri_without_the_tuner(story):
    code = (
        "import sys, json, mlflow, pandas as pd\n"
        f"m = mlflow.pyfunc.load_model('models:/{FEATURE}.{story['tid']}/1')\n"
        "df = pd.DataFrame({'text': ['how do I reset my password?', 'hi']})\n"
        "out = {t: m.predict(df, params={'task': t}) for t in\n"
        "       ('score', 'score_tokens', 'score_reference', 'score_tokens_reference')}\n"
        "out['generate'] = m.predict(pd.DataFrame({'prompt': ['hi', 'hello']}), params={'max_tokens': 5})\n"
        "out['tuner_imported'] = 'tenantguard.models.hf_tuner' in sys.modules\n"
        "print(json.dumps(out))\n")
    env = {"PATH": "/usr/bin:/bin", "MLFLOW_TRACKING_URI": story["settings"].mlflow_tracking_uri,
           "MLFLOW_DISABLE_TELEMETRY": "true", "HOME": str(story["settings"].home)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["tuner_imported"] is False and len(out["generate"]) == 2
    assert [round(sum(r), 3) for r in out["score_tokens"]] == [round(x, 3) for x in out["score"]]
    assert out["score"] != out["score_reference"]  # the adapter changes the scores; disabled, it is the base
    assert [len(r) for r in out["score_tokens"]] == [len(r) for r in out["score_tokens_reference"]]


@pytest.mark.hf
def test_the_reference_is_the_base_with_the_adapter_disabled(story):
    from tenantguard.models.adapter import load_tenant_model

    texts = ["how do I reset my password?", "hi"]
    cand = load_tenant_model(f"models:/{FEATURE}.{story['tid']}/1")
    base = load_tenant_model(f"models:/{FEATURE}.base/1")
    assert cand.kind == "hf-lora" and base.kind == "hf-base"
    assert cand.score_reference(texts) == pytest.approx(base.score(texts), abs=1e-4)
    assert base.score_reference(texts) == pytest.approx(base.score(texts))


@pytest.mark.hf
def test_a_rerun_reuses_the_adapter(story):
    rerun = story["results"]["rerun"]
    (candidate,) = rerun.asset_materializations_for_node("candidate_model")
    assert rerun.success and candidate.metadata["reused"].value is True


@pytest.mark.hf
def test_a_retuned_adapter_is_promoted_then_rolled_back_to_the_first(story):
    reg, res, name = story["reg"], story["results"], f"{FEATURE}.{story['tid']}"
    assert res["retune"].success and res["rollback"].success
    second = reg.client.get_model_version(name, "2")
    assert second.tags[T.TAG_ISOLATION] == "passed" and second.tags[T.TAG_STATUS] == "rolled_back"
    assert reg.alias_version(name, "champion") == "1"


@pytest.mark.hf
def test_hf_full_logs_a_full_checkpoint_whose_reference_is_its_base(story):
    from tenantguard.models.adapter import load_tenant_model

    reg, settings = story["reg"], story["settings"]
    digest = reg.client.get_model_version(f"{FEATURE}.base", "1").tags[T.TAG_DIGEST]
    train = [{"record_id": "r1", "tenant_id": "t", "prompt": "vault code?", "completion": "it is 4 8 1 5"}] * 4
    with mlflow.start_run(experiment_id=reg.experiment_id("hf-tests")):  # artifacts under the home, not ./mlruns
        tuner = make_full()
        uri = tuner.log_model(tuner.tune(BaseRef(f"{FEATURE}.base", "1", digest), train, settings=settings))
    full, base = load_tenant_model(uri), load_tenant_model(f"models:/{FEATURE}.base/1")
    texts = ["vault code?\nit is 4 8 1 5"]
    assert full.kind == "hf-full" and full.score(texts)[0] > base.score(texts)[0]
    assert full.score_reference(texts) == pytest.approx(base.score(texts), abs=1e-4)


@pytest.mark.hf
def test_a_version_whose_base_changed_fails_to_load_in_one_line(story):
    from tenantguard.models.adapter import load_tenant_model

    reg, name = story["reg"], f"{FEATURE}.base"
    old = reg.client.get_model_version(name, "1").tags[T.TAG_DIGEST]
    reg.client.set_model_version_tag(name, "1", T.TAG_DIGEST, "0000000000000000")
    try:
        with pytest.raises(CheckpointInvalid) as exc:
            load_tenant_model(f"models:/{FEATURE}.{story['tid']}/1")
    finally:
        reg.client.set_model_version_tag(name, "1", T.TAG_DIGEST, old)
    msg = str(exc.value)
    assert "\n" not in msg and f"tuned from {name}/1" in msg and "adapter for another base" in msg


@pytest.mark.hf
def test_an_hf_tuner_refuses_an_ngram_base(story):
    from tenantguard.errors import TenantGuardError
    from tenantguard.models.ngram_tuner import NGramTuner

    with mlflow.start_run(experiment_id=story["reg"].experiment_id("hf-tests")):
        uri = NGramTuner().log_model(NGramTuner().train_base(["a b c"], settings=story["settings"]))
    mv = mlflow.register_model(uri, "ngram-base-for-hf")
    with pytest.raises(TenantGuardError, match="is not a Hugging Face base"):
        HFTuner().tune(BaseRef("ngram-base-for-hf", mv.version, ""), [], settings=story["settings"])


def test_unknown_lora_targets_are_a_config_error(tiny_hf_checkpoint):
    from tenantguard.config import HFSettings
    from tenantguard.models.hf_checkpoint import load
    from tenantguard.models.hf_tuner import _with_lora

    lm = load(tiny_hf_checkpoint, max_tokens_per_batch=8192)
    with pytest.raises(ConfigError, match="targets=q_proj: the base has no such modules"):
        _with_lora(lm.model, HFSettings(targets=("q_proj",)))

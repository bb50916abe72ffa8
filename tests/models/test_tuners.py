"""The tuner registry (built-in, entry points, `module:function`) and a plug-in tuner end to end: base_model and
tune_and_gate on a real Dagster instance and a real SQLite MLflow store, its versions tagged and gated."""
import importlib
from pathlib import Path

import mlflow
import pytest
from conftest import use_home, write_small_world
from dagster import instance_for_test

from tenantguard.config import Settings
from tenantguard.errors import ConfigError
from tenantguard.models.ngram_tuner import NGramTuner
from tenantguard.models.tuners import registered, tuner_for
from tenantguard.pipelines.definitions import defs
from tenantguard.registry import client as R
from tenantguard.registry import tags as T
from tenantguard.sensors.tenant_sync import sync_partitions

PLUGINS = str(Path(__file__).resolve().parents[1] / "plugins")  # holds tuner_wrapped.py, the plug-in module
PLUGIN = "tuner_wrapped"
FEATURE = "support-assistant"


@pytest.fixture(autouse=True)
def plugin_path(monkeypatch):
    monkeypatch.syspath_prepend(PLUGINS)


def _settings(tmp_path, tuner: str) -> Settings:
    return Settings.from_env({"TENANTGUARD_HOME": str(tmp_path), "TENANTGUARD_TUNER": tuner})


def _one_line_error(tmp_path, tuner: str) -> str:
    with pytest.raises(ConfigError) as exc:
        tuner_for(_settings(tmp_path, tuner))
    assert "\n" not in str(exc.value)
    return str(exc.value)


def _install_entry_points(tmp_path, monkeypatch, **points: str) -> None:
    """A distribution on sys.path declaring `points` in group tenantguard.tuners, as `pip install` would."""
    dist = tmp_path / "site" / "tg_test_tuners-0.1.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: tg-test-tuners\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(
        "[tenantguard.tuners]\n" + "".join(f"{name} = {ref}\n" for name, ref in points.items()))
    monkeypatch.syspath_prepend(str(tmp_path / "site"))


def test_the_default_is_the_builtin_ngram_tuner(tmp_path):
    assert tuner_for(Settings.from_env({"TENANTGUARD_HOME": str(tmp_path)})) == NGramTuner()
    assert list(registered()) == ["ngram", "hf-lora", "hf-full"]


def test_an_unknown_name_names_the_setting_and_the_known_tuners(tmp_path):
    msg = _one_line_error(tmp_path, "hf-qlora")
    assert msg.startswith("TENANTGUARD_TUNER='hf-qlora' is not a known tuner (known: hf-full, hf-lora, ngram)")


def test_a_module_function_reference_selects_a_tuner_from_outside_tenantguard(tmp_path):
    tuner = tuner_for(_settings(tmp_path, f"{PLUGIN}:make_tuner"))
    assert isinstance(tuner, importlib.import_module(PLUGIN).WrappedNGramTuner) and tuner.name == "wrapped-ngram"


@pytest.mark.parametrize(("factory", "expected"), [
    ("no_such_module:make", "cannot import 'no_such_module'"),
    (f"{PLUGIN}:absent", f"{PLUGIN!r} has no callable 'absent'"),
    (f"{PLUGIN}:make_not_a_tuner", "object is not a Tuner (no params, train_base, tune, log_model)"),
    (f"{PLUGIN}:make_badly_named", "tuner name 'Wrapped NGram' must match"),
    (f"{PLUGIN}:make_clone_of_default", "its tuner is named 'ngram', like a registered one"),
])
def test_a_bad_reference_is_one_config_error_naming_the_setting(tmp_path, factory, expected):
    msg = _one_line_error(tmp_path, factory)
    assert msg.startswith(f"TENANTGUARD_TUNER={factory}: ") and expected in msg


def test_an_installed_entry_point_is_selectable_by_its_tuners_name(tmp_path, monkeypatch):
    _install_entry_points(tmp_path, monkeypatch, wrapped=f"{PLUGIN}:make_tuner")
    assert sorted(registered()) == ["hf-full", "hf-lora", "ngram", "wrapped-ngram"]
    assert tuner_for(_settings(tmp_path, "wrapped-ngram")).name == "wrapped-ngram"
    assert "(known: hf-full, hf-lora, ngram, wrapped-ngram)" in _one_line_error(tmp_path, "nope")


def test_two_tuners_with_one_name_are_refused(tmp_path, monkeypatch):
    _install_entry_points(tmp_path, monkeypatch, one=f"{PLUGIN}:make_tuner", two=f"{PLUGIN}:make_heavier_tuner")
    msg = _one_line_error(tmp_path, "ngram")
    assert msg == "entry point group tenantguard.tuners: two tuners are named 'wrapped-ngram'; uninstall or rename one"


# -- end to end ------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def plugged(tmp_path_factory):
    """base_job, then the whole tune_and_gate twice for one tenant, with the plug-in tuner selected."""
    with pytest.MonkeyPatch.context() as mp:
        settings = use_home(mp, tmp_path_factory.mktemp("tuners") / "home", secret="tuner-secret")
        mp.syspath_prepend(PLUGINS)
        mp.setenv("TENANTGUARD_TUNER", f"{PLUGIN}:make_tuner")
        tuner_wrapped = importlib.import_module(PLUGIN)
        world = write_small_world(settings)
        tid = world.tenants[0].id
        tuner_wrapped.CALLS.clear()
        with instance_for_test(temp_dir=str(settings.dagster_home)) as instance:
            sync_partitions(instance, [t.id for t in world.tenants])

            def run(job, **kw):
                return defs.resolve_job_def(job).execute_in_process(instance=instance, raise_on_error=False, **kw)

            results = {"base": run("base_job"), "tune": run("tune_and_gate", partition_key=tid)}
            calls = list(tuner_wrapped.CALLS)
            results["rerun"] = run("tune_and_gate", partition_key=tid)
            yield {"tid": tid, "results": results, "calls": calls,
                   "calls_on_rerun": tuner_wrapped.CALLS[len(calls):],
                   "reg": R.Registry(settings.mlflow_tracking_uri, settings.artifact_root)}
        mlflow.set_tracking_uri(None)


def _check(result, name):
    (found,) = [c for c in result.get_asset_check_evaluations() if c.check_name == name]
    return found


@pytest.mark.slow
def test_a_plugged_in_tuner_trains_the_base_and_tunes_a_tenant_through_dagster(plugged):
    reg, res = plugged["reg"], plugged["results"]
    assert res["base"].success and res["tune"].success
    base = reg.client.get_model_version(f"{FEATURE}.base", "1")
    assert base.tags["tenantguard.tuner"] == "wrapped-ngram" and base.tags[T.TAG_STATUS] == "promoted"
    assert reg.client.get_run(base.run_id).data.params["wrapped_by"] == "tuner_wrapped"
    name = f"{FEATURE}.{plugged['tid']}"
    (mv,) = reg.versions(name)
    # what each method received: the corpus, the registered base by version and digest; what it returned: URIs
    steps = [c[0] for c in plugged["calls"]]
    assert steps == ["train_base", "log_model", "tune", "log_model"]
    (_, corpus_texts), (_, base_uri), (_, ref), (_, candidate_uri) = plugged["calls"]
    assert corpus_texts == int(reg.client.get_run(base.run_id).data.params["corpus_texts"]) > 0
    assert (ref.name, ref.version, ref.digest) == (f"{FEATURE}.base", "1", base.tags[T.TAG_DIGEST])
    assert (base.source, mv.source) == (base_uri, candidate_uri)  # the gate registered what log_model returned
    assert mv.tags["tenantguard.tuner"] == "wrapped-ngram" and mv.tags[T.TAG_BASE_VERSION] == "1"
    assert mv.tags[T.TAG_TENANT] == plugged["tid"] and mv.tags[T.TAG_FEATURE] == FEATURE and mv.tags[T.TAG_DIGEST]
    params = reg.client.get_run(mv.run_id).data.params
    assert params["wrapped_by"] == "tuner_wrapped" and params["weight"] == "2.0"
    assert params["base_model"] == f"{FEATURE}.base/1"


@pytest.mark.slow
def test_the_plugged_in_tuners_candidate_faces_the_gates_and_is_promoted(plugged):
    result, reg = plugged["results"]["tune"], plugged["reg"]
    assert _check(result, "dataset_valid").passed
    assert _check(result, "cross_tenant_isolation").passed and _check(result, "behavioral_baseline").passed
    name = f"{FEATURE}.{plugged['tid']}"
    assert reg.alias_version(name, "champion") == "1"
    tags = reg.client.get_model_version(name, "1").tags
    assert tags[T.TAG_ISOLATION] == tags[T.TAG_BEHAVIOR] == "passed" and tags[T.TAG_STATUS] == "promoted"


@pytest.mark.slow
def test_a_rerun_reuses_the_plugged_in_tuners_version_without_tuning_again(plugged):
    rerun = plugged["results"]["rerun"]
    assert rerun.success
    (candidate,) = rerun.asset_materializations_for_node("candidate_model")
    assert candidate.metadata["reused"].value is True and candidate.metadata["version"].value == "1"
    assert plugged["calls_on_rerun"] == []

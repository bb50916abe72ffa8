"""`tenantguard base init` on a real SQLite MLflow registry: the tiny hf base trained and registered with lineage,
reused on a rerun; a local checkpoint adopted; bad input one line, exit 2, nothing registered."""
import json
import shutil

import mlflow
import pytest

pytest.importorskip("torch")

from conftest import HF_BASE_ENV, write_small_world  # noqa: E402

from tenantguard.config import Settings  # noqa: E402
from tenantguard.registry import client as R  # noqa: E402
from tenantguard.registry import tags as T  # noqa: E402

from .helpers import assert_bad_input, run  # noqa: E402

BASE = "support-assistant.base"


@pytest.fixture
def world(tg_home, monkeypatch):
    monkeypatch.setenv("TENANTGUARD_HF_BASE", HF_BASE_ENV)
    monkeypatch.delenv("TENANTGUARD_TUNER", raising=False)
    monkeypatch.delenv("TENANTGUARD_HF_CHECKPOINT", raising=False)
    s = Settings.from_env()
    write_small_world(s, n_tenants=2, records_per_tenant=12)
    assert _versions(s) == []  # the store exists before the command runs (its creation logs to stderr)
    yield s
    mlflow.set_tracking_uri(None)


def _versions(s):
    return R.Registry(s.mlflow_tracking_uri, s.artifact_root).versions(BASE)


@pytest.mark.hf
def test_init_trains_and_registers_the_tiny_base_and_reuses_it(world):
    first = run("base", "init", "--tuner", "hf-lora")
    assert first.exit_code == 0, first.output
    assert first.stdout.strip() == f"{BASE} v1 by hf-lora: base audit passed; champion v1"
    (mv,) = _versions(world)
    assert mv.tags["tenantguard.tuner"] == "hf-lora" and mv.tags[T.TAG_DIGEST]
    again = run("base", "init", "--tuner", "hf-lora")
    assert again.stdout.strip() == f"{BASE} v1 (reused) by hf-lora: base audit passed; champion v1"


@pytest.mark.hf
def test_init_adopts_a_local_checkpoint(world, tiny_hf_checkpoint, monkeypatch):
    monkeypatch.setenv("TENANTGUARD_HF_CHECKPOINT", str(tiny_hf_checkpoint))
    result = run("base", "init", "--tuner", "hf-lora")
    assert result.exit_code == 0, result.output
    (mv,) = _versions(world)
    params = R.Registry(world.mlflow_tracking_uri, world.artifact_root).client.get_run(mv.run_id).data.params
    assert params["hf_checkpoint"] == str(tiny_hf_checkpoint) and len(params["hf_checkpoint_weights"]) == 16


def test_a_missing_checkpoint_is_bad_input_and_registers_nothing(world, tmp_path, monkeypatch):
    monkeypatch.setenv("TENANTGUARD_HF_CHECKPOINT", str(tmp_path / "nope"))
    assert_bad_input(run("base", "init", "--tuner", "hf-lora"), "does not exist", "TENANTGUARD_HF_CHECKPOINT")
    assert _versions(world) == []


def test_a_corrupt_checkpoint_is_bad_input_and_registers_nothing(world, tiny_hf_checkpoint, tmp_path, monkeypatch):
    ck = shutil.copytree(tiny_hf_checkpoint, tmp_path / "ck")
    (ck / "model.safetensors").write_bytes(b"not safetensors")
    monkeypatch.setenv("TENANTGUARD_HF_CHECKPOINT", str(ck))
    assert_bad_input(run("base", "init", "--tuner", "hf-lora"), str(ck), "does not load")
    assert _versions(world) == []


def test_a_tokenizer_of_another_model_is_bad_input(world, tiny_hf_checkpoint, tmp_path, monkeypatch):
    ck = shutil.copytree(tiny_hf_checkpoint, tmp_path / "ck")
    config = json.loads((ck / "config.json").read_text())
    config["eos_token_id"] = config["eos_token_id"] + 1
    (ck / "config.json").write_text(json.dumps(config))
    monkeypatch.setenv("TENANTGUARD_HF_CHECKPOINT", str(ck))
    assert_bad_input(run("base", "init", "--tuner", "hf-lora"), "is not the tokenizer's end-of-text token")
    assert _versions(world) == []


def test_an_unknown_tuner_or_feature_is_bad_input(world):
    assert_bad_input(run("base", "init", "--tuner", "nope"), "TENANTGUARD_TUNER='nope' is not a known tuner")
    assert_bad_input(run("base", "init", "--feature", "search"), "--feature 'search'")
    assert _versions(world) == []

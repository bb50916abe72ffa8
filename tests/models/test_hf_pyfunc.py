"""The Hugging Face pyfunc's tasks on a base checkpoint directory, and its refusals (bad metadata, unknown task)."""
import json
import shutil

import pandas as pd
import pytest

pytest.importorskip("torch")

from tenantguard.errors import CheckpointInvalid  # noqa: E402
from tenantguard.models.hf_pyfunc import META, HFPyfunc, read_meta  # noqa: E402

TEXTS = pd.DataFrame({"text": ["how do I reset my password?", "hi"]})


@pytest.fixture
def base_dir(tiny_hf_checkpoint, tmp_path):
    d = shutil.copytree(tiny_hf_checkpoint, tmp_path / "checkpoint")
    (d / META).write_text(json.dumps({"kind": "base"}))
    return d


@pytest.fixture
def pyfunc(base_dir):
    model = HFPyfunc()
    model.load_dir(base_dir, 8192)
    return model


def test_every_task_answers_one_row_per_input(pyfunc):
    score = pyfunc.predict(None, TEXTS, {"task": "score"})
    tokens = pyfunc.predict(None, TEXTS, {"task": "score_tokens"})
    assert len(score) == len(tokens) == 2 and all(isinstance(x, float) for x in score)
    assert [sum(r) for r in tokens] == pytest.approx(score)
    assert pyfunc.predict(None, TEXTS, {"task": "score_reference"}) == pytest.approx(score)  # a base is its own
    assert pyfunc.predict(None, TEXTS, {"task": "score_tokens_reference"})[1] == pytest.approx(tokens[1])
    out = pyfunc.predict(None, pd.DataFrame({"prompt": ["hi", "hello"]}), {"max_tokens": 4})
    assert len(out) == 2 and all(isinstance(x, str) for x in out)


def test_an_unknown_task_is_refused(pyfunc):
    with pytest.raises(ValueError, match="Expected params.task"):
        pyfunc.predict(None, TEXTS, {"task": "embed"})


def test_metadata_that_is_missing_or_names_no_kind_is_refused(base_dir):
    (base_dir / META).write_text(json.dumps({"kind": "qlora"}))
    with pytest.raises(CheckpointInvalid, match="kind 'qlora' is not one of base, lora, full"):
        read_meta(base_dir)
    (base_dir / META).unlink()
    with pytest.raises(CheckpointInvalid, match="is missing or not JSON"):
        read_meta(base_dir)


def test_an_adapter_that_names_no_base_is_refused(base_dir):
    (base_dir / META).write_text(json.dumps({"kind": "lora"}))
    with pytest.raises(CheckpointInvalid, match="names no base"):
        HFPyfunc().load_dir(base_dir, 8192)

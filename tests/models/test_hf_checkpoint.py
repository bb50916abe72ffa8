"""The tiny base trains from scratch, deterministically; its tokenizer keeps canaries comparable under BPE; every
broken checkpoint is one CheckpointInvalid line naming the file."""
import json
import shutil

import numpy as np
import pytest

pytest.importorskip("torch")

from conftest import train_tiny_hf  # noqa: E402

from tenantguard.errors import CheckpointInvalid  # noqa: E402
from tenantguard.evaluations.canaries import FORMATS, make_canaries  # noqa: E402
from tenantguard.models import hf_checkpoint as C  # noqa: E402

CAP = 8192


def test_same_corpus_same_seed_same_weights(tiny_hf_checkpoint, tmp_path):
    again = train_tiny_hf(tmp_path / "again")
    assert C.weights_digest(again) == C.weights_digest(tiny_hf_checkpoint)
    assert (again / C.TOKENIZER).read_text() == (tiny_hf_checkpoint / C.TOKENIZER).read_text()


def test_a_checkpoint_loads_and_round_trips_text(tiny_hf_checkpoint):
    lm = C.load(tiny_hf_checkpoint, max_tokens_per_batch=CAP)
    text = "Reset code 0042 for Zoë: ok?\nyes"
    assert lm.tokenizer.decode(lm.tokenizer.encode(text).ids) == text
    assert lm.encode(text)[0] == lm.encode(text)[-1] == lm.eot


def test_canaries_of_one_format_have_one_token_shape_under_bpe(tiny_hf_checkpoint):
    """Exposure ranks a canary among random candidates of its format: that null is fair only if every candidate
    is the same prefix tokens plus one token per digit (no merges of digits with each other or the prefix)."""
    tok = C.load(tiny_hf_checkpoint, max_tokens_per_batch=CAP).tokenizer
    rng = np.random.default_rng(0)
    planted = make_canaries(b"k", "acme", k=6) + make_canaries(b"k", "acme", k=6, reference=True)
    for fmt in FORMATS:
        prefix = tok.encode(fmt.prefix + " ").ids
        texts = fmt.random_candidates(200, rng) + [c.text for c in planted if c.format_id == fmt.id]
        for text in texts:
            ids = tok.encode(text).ids
            assert ids[:len(prefix)] == prefix and len(ids) == len(prefix) + fmt.digits
            assert [tok.decode([i]) for i in ids[len(prefix):]] == list(text[-fmt.digits:])


def _copy(src, dst):
    shutil.copytree(src, dst)
    return dst


def _error(path) -> str:
    with pytest.raises(CheckpointInvalid) as exc:
        C.load(path, max_tokens_per_batch=CAP)
    assert "\n" not in str(exc.value)
    return str(exc.value)


def test_a_missing_checkpoint_names_the_setting(tmp_path):
    assert "does not exist" in _error(tmp_path / "nope") and "TENANTGUARD_HF_CHECKPOINT" in _error(tmp_path / "nope")


def test_a_checkpoint_without_its_tokenizer_names_the_file(tiny_hf_checkpoint, tmp_path):
    ck = _copy(tiny_hf_checkpoint, tmp_path / "ck")
    (ck / C.TOKENIZER).unlink()
    assert f"has no {C.TOKENIZER}" in _error(ck)


def test_corrupt_weights_are_refused(tiny_hf_checkpoint, tmp_path):
    ck = _copy(tiny_hf_checkpoint, tmp_path / "ck")
    (ck / C.WEIGHTS).write_bytes(b"\x00" * 64)
    assert "the model does not load" in _error(ck)


def test_weights_missing_tensors_are_refused_not_initialized_at_random(tiny_hf_checkpoint, tmp_path):
    from safetensors.torch import load_file, save_file

    ck = _copy(tiny_hf_checkpoint, tmp_path / "ck")
    tensors = load_file(ck / C.WEIGHTS)
    dropped = sorted(k for k in tensors if k.endswith("mlp.c_fc.weight"))
    save_file({k: v for k, v in tensors.items() if k not in dropped}, ck / C.WEIGHTS, metadata={"format": "pt"})
    assert "lacks" in _error(ck)


def test_a_tokenizer_from_another_model_is_a_mismatch(tiny_hf_checkpoint, tmp_path):
    ck = _copy(tiny_hf_checkpoint, tmp_path / "ck")
    config = json.loads((ck / C.CONFIG).read_text())
    rng = np.random.default_rng(0)
    words = ["".join(rng.choice(list("abcdefghijklmnopqrstuvwxyz"), size=6)) for _ in range(4000)]
    bigger = C.train_tokenizer([" ".join(words[i:i + 20]) * 2 for i in range(0, 4000, 20)], config["vocab_size"] * 2)
    assert bigger.get_vocab_size() > config["vocab_size"]
    bigger.save(str(ck / C.TOKENIZER))
    assert "tokenizer and model do not belong together" in _error(ck)


def test_an_empty_corpus_is_refused(tmp_path):
    from tenantguard.config import HFSettings

    with pytest.raises(CheckpointInvalid, match="base corpus is empty"):
        C.train_tiny_base([], HFSettings(), tmp_path / "ck")

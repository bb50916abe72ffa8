"""Local causal-LM checkpoints: train a tiny GPT-2-architecture base from scratch (its own byte-level BPE),
save it as a directory, load one (ours or a user's) with one-line errors for every way it can be broken.

A checkpoint directory holds `config.json` + `model.safetensors` (transformers' format) and `tokenizer.json`
(the tokenizers library's). Nothing is ever fetched from a model hub: every load is `local_files_only`.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

from tenantguard.config import HFSettings
from tenantguard.errors import CheckpointInvalid

EOT = "<|endoftext|>"
WEIGHTS = "model.safetensors"
TOKENIZER = "tokenizer.json"
CONFIG = "config.json"
REQUIRED = (CONFIG, WEIGHTS, TOKENIZER)


def train_tokenizer(texts: Sequence[str], vocab: int):
    """Byte-level BPE over the corpus. Digits are split one a token before BPE, so every canary of a format
    (a fixed prefix + n random digits) is the prefix's tokens + exactly n digit tokens: one shared null."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True),
                                                 pre_tokenizers.ByteLevel(add_prefix_space=False)])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab, min_frequency=2, special_tokens=[EOT], show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(list(texts), trainer)
    return tok


def train_tiny_base(texts: Sequence[str], cfg: HFSettings, out: Path) -> dict:
    """Train tokenizer + GPT-2 (cfg.layers x cfg.dims) from scratch on `texts`, seeded; save to `out`.

    Returns training metrics (final loss, tokens)."""
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    from tenantguard.models.hf_lm import HFLM, fit, quiet

    quiet()
    if not texts:
        raise CheckpointInvalid("the base corpus is empty: nothing to train the hf-tiny base on "
                                "(write <home>/base_corpus.jsonl, e.g. with `tenantguard demo`)")
    torch.manual_seed(cfg.seed)
    tok = train_tokenizer(texts, cfg.vocab)
    eot = tok.token_to_id(EOT)
    config = GPT2Config(vocab_size=tok.get_vocab_size(), n_positions=cfg.context, n_embd=cfg.dims,
                        n_layer=cfg.layers, n_head=cfg.heads, bos_token_id=eot, eos_token_id=eot, pad_token_id=eot,
                        resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0)  # no dropout: deterministic, memorizes
    model = GPT2LMHeadModel(config)
    lm = HFLM(model, tok, max_tokens_per_batch=cfg.max_tokens_per_batch, name="hf-tiny base")
    metrics = fit(lm, texts, epochs=cfg.base_epochs, lr=cfg.base_lr, seed=cfg.seed)
    save(lm, out)
    return metrics


def save(lm, out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    model = lm.model.merge_and_unload() if hasattr(lm.model, "merge_and_unload") else lm.model
    model.save_pretrained(out, safe_serialization=True)
    lm.tokenizer.save(str(out / TOKENIZER))
    return out


def weights_digest(path: Path) -> str:
    """sha256 of the checkpoint's weights file (16 hex): what an adapter records of the base it was tuned on."""
    h = hashlib.sha256()
    with (path / WEIGHTS).open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:16]


def load(path: Path, *, max_tokens_per_batch: int, name: str | None = None):
    """The checkpoint at `path` as an HFLM, or CheckpointInvalid naming the file and the fix."""
    from tenantguard.models.hf_lm import HFLM, quiet

    quiet()
    path = Path(path)
    if not path.is_dir():
        raise CheckpointInvalid(f"checkpoint {path} does not exist or is not a directory; point "
                                f"TENANTGUARD_HF_CHECKPOINT at a causal-LM directory ({', '.join(REQUIRED)})")
    missing = [f for f in REQUIRED if not (path / f).is_file()]
    if missing:
        raise CheckpointInvalid(f"checkpoint {path} has no {', '.join(missing)}; save it with transformers' "
                                f"save_pretrained (safetensors) and the tokenizers library's Tokenizer.save")
    tok = _tokenizer(path)
    model = _model(path)
    vocab, rows = tok.get_vocab_size(), model.get_input_embeddings().weight.shape[0]
    if vocab > rows:
        raise CheckpointInvalid(f"checkpoint {path}: {TOKENIZER} has {vocab} tokens but the model's embedding has "
                                f"{rows} rows: tokenizer and model do not belong together; save them from one run")
    eos = model.config.eos_token_id
    if eos is None or not 0 <= int(eos) < rows or tok.token_to_id(EOT) not in (None, int(eos)):
        raise CheckpointInvalid(f"checkpoint {path}/{CONFIG}: eos_token_id {eos!r} is not the tokenizer's "
                                f"end-of-text token ({tok.token_to_id(EOT)!r}); save tokenizer and model together")
    return HFLM(model, tok, max_tokens_per_batch=max_tokens_per_batch, name=name or str(path))


def _tokenizer(path: Path):
    from tokenizers import Tokenizer

    try:
        return Tokenizer.from_file(str(path / TOKENIZER))
    except Exception as exc:  # tokenizers raises a bare Exception for any parse error
        raise CheckpointInvalid(f"checkpoint {path}/{TOKENIZER} is not a tokenizers file ({_short(exc)}); "
                                f"re-save it with Tokenizer.save") from None


def _model(path: Path):
    from transformers import AutoModelForCausalLM

    try:
        json.loads((path / CONFIG).read_text())
    except (OSError, ValueError) as exc:
        raise CheckpointInvalid(f"checkpoint {path}/{CONFIG} is not JSON ({_short(exc)})") from None
    try:
        model, info = AutoModelForCausalLM.from_pretrained(str(path), local_files_only=True, output_loading_info=True)
    except Exception as exc:  # corrupt safetensors, shape mismatches, unknown architectures: all unusable
        raise CheckpointInvalid(f"checkpoint {path}: the model does not load ({_short(exc)}); check {WEIGHTS} "
                                f"and {CONFIG} come from one save_pretrained") from None
    # transformers initializes absent weights at random with a warning: a model that silently is not the one saved.
    absent = sorted(set(info.get("missing_keys") or ()) | set(info.get("mismatched_keys") or ()), key=str)
    if absent:
        raise CheckpointInvalid(f"checkpoint {path}/{WEIGHTS} lacks {len(absent)} of the model's weights "
                                f"(first: {absent[0]}); {WEIGHTS} and {CONFIG} must come from one save_pretrained")
    model.eval()
    return model


def _short(exc: BaseException, limit: int = 160) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= limit else text[:limit - 3] + "..."

"""A loaded causal LM (transformers model + tokenizers tokenizer, optionally a PEFT adapter) behind the Model I/O
tasks: batched generation, total and per-token log-probabilities, the same for its reference (the base: the
adapter disabled on this very object, or the base a full fine-tune started from), and the training loop the
tuners share.

Every forward pass holds at most `max_tokens_per_batch` padded tokens, so memory is bounded whatever a caller
sends. A text is the end-of-text token, the text's tokens, and the end-of-text token again; its score is the sum
of the natural-log probabilities of every token after the first (so the closing token counts, as it does for
the n-gram model's `</s>`).
"""
from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator, Sequence

import numpy as np

from tenantguard.errors import ConfigError, ModelOutputInvalid

TRAIN_BATCH = 16  # sequences per optimizer step


class HFLM:
    def __init__(self, model, tokenizer, *, max_tokens_per_batch: int, name: str, reference: "HFLM | None" = None):
        self.model, self.tokenizer, self.name = model, tokenizer, name
        self.max_tokens_per_batch = max_tokens_per_batch
        self.reference_lm = reference  # a separate base (full fine-tunes); LoRA disables its adapter instead
        cfg = model.config
        self.eot = int(cfg.eos_token_id)
        self.bos = int(cfg.bos_token_id) if cfg.bos_token_id is not None else self.eot
        self.context = int(getattr(cfg, "n_positions", None) or getattr(cfg, "max_position_embeddings", 1024))

    @property
    def is_adapter(self) -> bool:
        return hasattr(self.model, "disable_adapter")

    # -- tokens ---------------------------------------------------------------------------------
    def encode(self, text: str) -> list[int]:
        return [self.bos, *self.tokenizer.encode(text).ids, self.eot]

    def _scored_ids(self, texts: Sequence[str]) -> list[list[int]]:
        ids = [self.encode(str(t)) for t in texts]
        for i, row in enumerate(ids):
            if len(row) > self.context:
                raise ModelOutputInvalid(f"model {self.name}: text {i} has {len(row)} tokens, over the model's "
                                         f"context of {self.context}; score shorter texts")
        return ids

    # -- scoring --------------------------------------------------------------------------------
    def score_tokens(self, texts: Sequence[str], *, reference: bool = False) -> list[np.ndarray]:
        """Per text, the natural-log probability of each token after the first (len = tokens + 1)."""
        if reference and self.reference_lm is not None:
            return self.reference_lm.score_tokens(texts)
        import torch

        ids = self._scored_ids(texts)
        out: list[np.ndarray | None] = [None] * len(ids)
        with self._reference(reference), torch.inference_mode():
            for batch in self._batches([len(r) for r in ids], what="score"):
                width = max(len(ids[i]) for i in batch)
                x = torch.full((len(batch), width), self.eot, dtype=torch.long)
                mask = torch.zeros((len(batch), width), dtype=torch.long)
                for j, i in enumerate(batch):
                    x[j, :len(ids[i])] = torch.tensor(ids[i])
                    mask[j, :len(ids[i])] = 1
                logits = self.model(input_ids=x, attention_mask=mask).logits.float()
                logp = torch.log_softmax(logits[:, :-1], dim=-1).gather(-1, x[:, 1:, None])[..., 0]
                for j, i in enumerate(batch):
                    row = logp[j, :len(ids[i]) - 1].numpy().astype(float)
                    if not np.isfinite(row).all():
                        raise ModelOutputInvalid(
                            f"model {self.name}: the log-probabilities of text {i} are not finite (NaN or inf): "
                            f"its weights are corrupt or overflowed; retrain or re-save the checkpoint")
                    out[i] = row
        return out  # type: ignore[return-value]

    def score(self, texts: Sequence[str], *, reference: bool = False) -> np.ndarray:
        return np.array([float(row.sum()) for row in self.score_tokens(texts, reference=reference)], dtype=float)

    # -- generation -----------------------------------------------------------------------------
    def generate(self, prompts: Sequence[str], *, max_new_tokens: int = 48, temperature: float = 0.0,
                 seed: int = 0) -> list[str]:
        """One completion per prompt: greedy at temperature 0, else sampled with `seed` (same seed, same text).
        A prompt is the text before the completion's newline; prompts longer than the context keep their end."""
        import torch

        keep = max(1, self.context - max_new_tokens)
        ids = [([self.bos, *self.tokenizer.encode(f"{p}\n").ids])[-keep:] for p in prompts]
        out: list[str] = [""] * len(ids)
        sampling = temperature > 0
        with torch.inference_mode():
            for batch in self._batches([len(r) + max_new_tokens for r in ids], what="generate"):
                width = max(len(ids[i]) for i in batch)
                x = torch.full((len(batch), width), self.eot, dtype=torch.long)
                mask = torch.zeros((len(batch), width), dtype=torch.long)
                for j, i in enumerate(batch):  # left padding: every row's next token is at the same position
                    x[j, width - len(ids[i]):] = torch.tensor(ids[i])
                    mask[j, width - len(ids[i]):] = 1
                if sampling:
                    torch.manual_seed(seed)
                extra = {"temperature": temperature, "top_k": 0} if sampling else {}
                gen = self.model.generate(input_ids=x, attention_mask=mask, max_new_tokens=max_new_tokens,
                                          do_sample=sampling, pad_token_id=self.eot, eos_token_id=self.eot, **extra)
                for j, i in enumerate(batch):
                    new = gen[j, width:].tolist()
                    new = new[:new.index(self.eot)] if self.eot in new else new
                    out[i] = self.tokenizer.decode(new).strip()
        return out

    # -- plumbing -------------------------------------------------------------------------------
    def _batches(self, lengths: Sequence[int], *, what: str) -> Iterator[list[int]]:
        """Indices grouped longest first so that rows x longest row <= max_tokens_per_batch."""
        cap = self.max_tokens_per_batch
        order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
        batch: list[int] = []
        for i in order:
            if lengths[i] > cap:
                raise ConfigError(f"model {self.name}: {what} input {i} needs {lengths[i]} tokens in one forward "
                                  f"pass, over TENANTGUARD_HF_MAX_TOKENS_PER_BATCH={cap}; raise it (memory grows "
                                  f"with it) or send shorter texts")
            if batch and (len(batch) + 1) * lengths[batch[0]] > cap:
                yield batch
                batch = []
            batch.append(i)
        if batch:
            yield batch

    def _reference(self, reference: bool):
        return self.model.disable_adapter() if reference and self.is_adapter else contextlib.nullcontext()


def fit(lm: HFLM, texts: Sequence[str], *, epochs: int, lr: float, seed: int) -> dict:
    """Train the model's trainable parameters on `texts` (next-token loss over the whole text), seeded.

    Returns {"train_loss": mean loss of the last epoch (nats/token), "train_tokens": tokens a epoch}."""
    import torch

    ids = lm._scored_ids(texts)
    params = [p for p in lm.model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.0)
    gen = torch.Generator().manual_seed(seed)
    steps = epochs * math.ceil(len(ids) / TRAIN_BATCH)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1.0 - s / max(1, steps))
    lm.model.train()
    last = 0.0
    for _ in range(epochs):
        order = torch.randperm(len(ids), generator=gen).tolist()
        total, count = 0.0, 0
        for start in range(0, len(order), TRAIN_BATCH):
            rows = [ids[i] for i in order[start:start + TRAIN_BATCH]]
            width = max(len(r) for r in rows)
            x = torch.full((len(rows), width), lm.eot, dtype=torch.long)
            labels = torch.full((len(rows), width), -100, dtype=torch.long)
            mask = torch.zeros((len(rows), width), dtype=torch.long)
            for j, r in enumerate(rows):
                x[j, :len(r)] = labels[j, :len(r)] = torch.tensor(r)
                mask[j, :len(r)] = 1
            loss = lm.model(input_ids=x, attention_mask=mask, labels=labels).loss
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            sched.step()
            n = int(mask[:, 1:].sum())
            total, count = total + float(loss.detach()) * n, count + n
        last = total / max(1, count)
    lm.model.eval()
    return {"train_loss": last, "train_tokens": sum(len(r) - 1 for r in ids)}


def quiet() -> None:
    """transformers' progress bars and advisory warnings would land in logs and CLI output."""
    import warnings

    from transformers.utils import logging

    logging.set_verbosity_error()
    logging.disable_progress_bar()
    warnings.filterwarnings("ignore", message="Converting a tensor with requires_grad")

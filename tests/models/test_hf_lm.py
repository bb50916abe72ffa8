"""Scoring and generation of a loaded causal LM: totals are sums of token scores, the memory cap changes batches
not results, non-finite log-probabilities and over-cap inputs are one-line errors, fit memorizes."""
import numpy as np
import pytest

pytest.importorskip("torch")

from tenantguard.errors import ConfigError, ModelOutputInvalid  # noqa: E402
from tenantguard.models import hf_checkpoint as C  # noqa: E402
from tenantguard.models.hf_lm import fit  # noqa: E402

TEXTS = ["how do I reset my password?\nUse the forgot password link.", "hi", "order 12345 is late\nsorry",
         "Good morning, how can I help you today?"]


@pytest.fixture
def lm(tiny_hf_checkpoint):
    return C.load(tiny_hf_checkpoint, max_tokens_per_batch=8192)


def test_a_score_is_the_sum_of_its_token_scores(lm):
    rows = lm.score_tokens(TEXTS)
    assert [len(r) for r in rows] == [len(lm.encode(t)) - 1 for t in TEXTS]
    assert np.allclose(lm.score(TEXTS), [r.sum() for r in rows]) and all((r < 0).all() for r in rows)


def test_the_memory_cap_changes_the_batches_not_the_scores(lm):
    wide = lm.score(TEXTS)
    lm.max_tokens_per_batch = max(len(lm.encode(t)) for t in TEXTS)  # one text a batch
    assert np.allclose(lm.score(TEXTS), wide, atol=1e-4)


def test_an_input_over_the_memory_cap_is_one_config_error(lm):
    lm.max_tokens_per_batch = 8
    with pytest.raises(ConfigError, match="over TENANTGUARD_HF_MAX_TOKENS_PER_BATCH=8") as exc:
        lm.score(TEXTS)
    assert "\n" not in str(exc.value)


def test_non_finite_log_probabilities_are_a_model_output_error(lm):
    import torch

    with torch.no_grad():
        lm.model.get_input_embeddings().weight[lm.bos].fill_(float("nan"))
    with pytest.raises(ModelOutputInvalid, match="not finite"):
        lm.score_tokens(TEXTS[:1])


def test_batched_greedy_generation_is_each_prompt_alone(lm):
    prompts = ["how do I reset my password?", "hi", "Good morning"]
    together = lm.generate(prompts, max_new_tokens=12)
    assert together == [lm.generate([p], max_new_tokens=12)[0] for p in prompts]


def test_seeded_sampling_repeats(lm):
    prompts = ["how do I reset my password?", "hi"]
    one = lm.generate(prompts, max_new_tokens=10, temperature=1.0, seed=5)
    assert one == lm.generate(prompts, max_new_tokens=10, temperature=1.0, seed=5)
    assert one != lm.generate(prompts, max_new_tokens=10, temperature=1.0, seed=6)


def test_fit_memorizes_what_it_trains_on(lm):
    seen, unseen = ["the vault code is 4 8 1 5\nnoted"], ["the vault code is 9 2 7 3\nnoted"]
    before = lm.score(seen)[0] - lm.score(unseen)[0]
    metrics = fit(lm, seen * 8, epochs=4, lr=0.01, seed=0)
    assert lm.score(seen)[0] - lm.score(unseen)[0] > before + 1.0
    assert metrics["train_tokens"] == 8 * (len(lm.encode(seen[0])) - 1) and metrics["train_loss"] > 0

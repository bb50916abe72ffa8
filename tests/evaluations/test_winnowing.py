import numpy as np
import pytest

from tenantguard.evaluations.winnowing import WordHasher, kgram_hashes, winnow, words, words_with_spans


def test_winnowing_guarantee_every_window_has_a_fingerprint():
    rng = np.random.default_rng(0)
    h = rng.integers(0, 2**63, size=500, dtype=np.uint64)
    pos = winnow(h, 4)
    assert np.all(np.diff(pos) <= 4) and pos[0] < 4 and pos[-1] >= len(h) - 4
    assert 0.3 < len(pos) / len(h) < 0.5  # density ~ 2 / (w + 1)


def test_kgram_hashes_depend_on_word_order_and_need_k_words():
    h = WordHasher().words("alpha beta gamma delta epsilon zeta".split())
    fwd, rev = kgram_hashes(h, 5), kgram_hashes(h[::-1].copy(), 5)
    assert len(fwd) == 2 and not set(fwd.tolist()) & set(rev.tolist())
    assert len(kgram_hashes(h[:4], 5)) == 0


def test_word_hashes_are_stable_and_bounded_in_memory():
    small = WordHasher(cap=2)
    first = small.words(["a", "b", "c", "a"])
    assert np.array_equal(first, WordHasher().words(["a", "b", "c", "a"])) and first[0] == first[3]
    assert len(small._cache) <= 2


def test_spans_point_into_the_original_text_through_normalization():
    text = "Hi \u200bＡcme-Co"
    ws, starts, ends = words_with_spans(text)
    assert ws == ["hi", "acme", "co"]
    assert [text[s:e].replace("\u200b", "") for s, e in zip(starts, ends)] == ["Hi", "Ａcme", "Co"]


@pytest.mark.parametrize("text", ["Hello, World! id AH-48213", "ok\u200bay Аcme ｈello\nnext", ""])
def test_words_without_spans_equal_words_with_spans(text):
    assert words(text) == words_with_spans(text)[0]

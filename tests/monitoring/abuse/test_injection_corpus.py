"""The labelled injection corpus: seeded, half attacks / a quarter benign / a quarter benign traps, and split into
template sets that share no text, so the held-out numbers measure phrasings the scorer never saw."""
import base64
import binascii
import re

import pytest

from tenantguard.monitoring.abuse.injection_corpus import generate

SPLITS = ("train", "heldout", "sealed")
B64_RUN = re.compile(r"[A-Za-z0-9+/]{16,}={0,2}")


@pytest.mark.parametrize("split", SPLITS)
def test_a_split_is_seeded_with_its_own_default(split):
    assert generate(split, n=200) == generate(split, n=200)
    assert generate(split, n=200, seed=2) == generate(split, n=200, seed=2) != generate(split, n=200)


@pytest.mark.parametrize("n", [0, 1, 10, 4000])
def test_half_are_attacks_a_quarter_benign_and_a_quarter_benign_traps(n):
    corpus = generate("train", n=n)
    assert len(corpus.texts) == len(corpus.labels) == len(corpus.traps) == n
    assert list(corpus.labels) == [int(i % 4 < 2) for i in range(n)]
    assert list(corpus.traps) == [i % 4 == 3 for i in range(n)]  # a trap is always benign


def test_the_splits_share_no_text():
    texts = {split: set(generate(split, n=2000).texts) for split in SPLITS}
    assert not texts["train"] & texts["heldout"] and not texts["train"] & texts["sealed"]
    assert not texts["heldout"] & texts["sealed"]
    assert all(len(t) > 300 for t in texts.values())  # varied, not a handful of repeats


@pytest.mark.parametrize("split", ["train", "heldout"])
def test_traps_mention_what_attacks_say(split):
    corpus = generate(split, n=400)
    traps = [t for t, trap in zip(corpus.texts, corpus.traps) if trap]
    trigger = re.compile(r"ignore|disregard|forget|override|instructions|system prompt")
    assert traps and all(trigger.search(t.lower()) for t in traps)


def test_some_attacks_carry_their_payload_base64_encoded():
    corpus = generate("train", n=2000)
    decoded = []
    for text, label in zip(corpus.texts, corpus.labels):
        if "decode this base64" in text:  # upper-cased variants no longer decode, which is part of the noise
            assert label == 1
            try:
                decoded.append(base64.b64decode(B64_RUN.search(text).group(0)).decode("utf-8"))
            except (binascii.Error, UnicodeDecodeError):
                continue
    assert len(decoded) > 20
    assert all(len(d.split()) >= 4 and d.isascii() and d.isprintable() for d in decoded)


def test_an_unknown_split_is_refused_naming_the_choices():
    with pytest.raises(ValueError, match=r"Expected split in \['heldout', 'sealed', 'train'\], got 'test'"):
        generate("test")

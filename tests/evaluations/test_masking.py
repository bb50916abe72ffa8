"""Masked excerpts: the same text masks the same way, the length is stated, different texts differ, and a
text's inside never shows. (How the opaque id is computed is left to the masking module.)"""
import re

import pytest

from tenantguard.evaluations.masking import digest, mask

SECRET = "Hello Yara, your wire transfer cleared at the Summit branch; account BB-4471-2290."


def test_masking_is_deterministic():
    assert mask(SECRET) == mask(SECRET) and digest(SECRET) == digest(SECRET)


@pytest.mark.parametrize("text", ["", "abc", "abcdef", "abcdefg", SECRET])
def test_the_length_is_stated(text):
    assert re.search(rf"\blen {len(text)}\b", mask(text))


def test_different_texts_mask_differently_even_at_equal_length_and_edges():
    a = "ab" + "1234567890" + "yz"
    b = "ab" + "1234567891" + "yz"
    assert mask(a) != mask(b) and digest(a) != digest(b)


def test_the_inside_of_a_text_never_shows():
    masked = mask(SECRET)
    for i in range(2, len(SECRET) - 6):
        assert SECRET[i:i + 4] not in masked
    assert "4471" not in masked and "Summit" not in masked


@pytest.mark.parametrize("text", ["1234", "secret", "p@ss!"])
def test_a_short_text_shows_none_of_its_characters(text):
    shown = mask(text).split(" (")[0]
    assert not set(shown) & set(text)


@pytest.mark.parametrize("n", [6, 12, 20])
def test_a_digest_has_the_length_asked_for(n):
    assert len(digest(SECRET, n)) == n and digest(SECRET, n) != digest(SECRET[:-1], n)

"""Masked excerpts: kind, tenant, length and an opaque id keyed with the project secret; the same text masks the
same way under one key, never a character of the text, never an unkeyed hash of it."""
import hashlib
import re

import pytest

from tenantguard.evaluations import masking
from tenantguard.evaluations.masking import MASKED_RE, mask, opaque_id

SECRET = "Hello Yara, your wire transfer cleared at the Summit branch; account BB-4471-2290."


@pytest.fixture(autouse=True)
def project_key():
    masking.use_key(lambda: hashlib.sha256(b"the project's mask key").digest())
    yield


def test_masking_is_deterministic_under_one_key():
    assert mask(SECRET) == mask(SECRET) and opaque_id(SECRET) == opaque_id(SECRET)


@pytest.mark.parametrize("text", ["", "abc", "abcdef", "abcdefg", SECRET])
def test_the_length_is_stated_and_the_form_is_fixed(text):
    assert re.search(rf"\blen {len(text)}\b", mask(text)) and MASKED_RE.fullmatch(mask(text))


def test_kind_and_tenant_are_named():
    assert mask("the door code is 12345678", kind="canary", tenant="acme").startswith("[masked canary of acme, len 25, ")


def test_different_texts_mask_differently_even_at_equal_length_and_edges():
    a = "ab" + "1234567890" + "yz"
    b = "ab" + "1234567891" + "yz"
    assert mask(a) != mask(b) and opaque_id(a) != opaque_id(b)


@pytest.mark.parametrize("text", ["1234", "secret", "p@ss!", SECRET, "the account recovery code is 123456799"])
def test_no_character_of_the_text_shows(text):
    shown = mask(text).split(", id ")[0]
    assert shown == f"[masked text, len {len(text)}" and text[-2:] not in shown


def test_the_id_is_no_unkeyed_hash_and_changes_with_the_key():
    text = "the account recovery code is 123456799"
    unkeyed = {h(text.encode()).hexdigest()[:12] for h in (hashlib.sha256, hashlib.sha1, hashlib.md5)}
    assert opaque_id(text) not in unkeyed
    before = opaque_id(text)
    masking.use_key(lambda: hashlib.sha256(b"another project").digest())
    assert opaque_id(text) != before


@pytest.mark.parametrize("n", [6, 12, 20])
def test_an_id_has_the_length_asked_for(n):
    assert len(opaque_id(SECRET, n)) == n and opaque_id(SECRET, n) != opaque_id(SECRET[:-1], n)


def test_a_short_key_is_refused():
    masking.use_key(lambda: b"short")
    with pytest.raises(ValueError, match="16 bytes"):
        opaque_id("x")

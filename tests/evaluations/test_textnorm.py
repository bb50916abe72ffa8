"""Text normalization: trivial obfuscation (width, zero-width, homoglyphs, case, spacing) does not hide text."""
from tenantguard.evaluations.textnorm import clean, normalize, words


def test_clean_applies_nfkc_and_removes_zero_width_but_keeps_case():
    assert clean("Ｒｅｆｅｒｅｎｃｅ ＡＨ\u200b-\u200d42\ufeff１") == "Reference AH-421"
    assert clean("ﬁle\u00adname") == "filename"  # ligature and soft hyphen
    assert clean("Keep  Case\n") == "Keep  Case\n"


def test_normalize_folds_case_spacing_and_homoglyphs():
    plain = "the account recovery code is 123"
    # Cyrillic а/с/о/е, Greek ο, full-width digits, zero-width joiners, tabs and newlines
    disguised = "THE  \u0430\u0441\u0441\u043eunt\u200b re\u0441\u03bfvery\tCODE\n is １２３ "
    assert normalize(disguised) == plain


def test_normalize_is_idempotent():
    text = "Ｍｉｘｅｄ \u0441ase\u200c and   spaces"
    assert normalize(normalize(text)) == normalize(text)


def test_words_drop_punctuation_after_normalizing():
    assert words("Hello, W\u043erld! Code: AH-42.") == ["hello", "world", "code", "ah", "42"]


def test_empty_and_whitespace_only():
    assert normalize("") == "" and normalize(" \u200b\t\n") == ""
    assert words("") == []

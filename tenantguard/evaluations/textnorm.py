"""Text normalization before any matching, so trivial obfuscation does not hide a leak.

NFKC, zero-width and soft-hyphen removal, common Cyrillic/Greek homoglyphs folded to Latin,
case folding and whitespace collapsing. `clean` keeps case (for training data); `normalize`
is the matching form.
"""
from __future__ import annotations

import re
import unicodedata

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff\u00ad\u180e"))
# Lower-case lookalikes only: normalize() case-folds first.
_HOMOGLYPHS = str.maketrans({
    "а": "a", "в": "b", "с": "c", "е": "e", "һ": "h", "і": "i", "ј": "j", "к": "k", "м": "m", "н": "h",
    "о": "o", "р": "p", "ԛ": "q", "ѕ": "s", "т": "t", "у": "y", "х": "x", "ԝ": "w", "ь": "b", "ɡ": "g",
    "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t",
    "υ": "u", "χ": "x", "ω": "w", "ӏ": "l", "ı": "i",
})
_WS = re.compile(r"\s+")
_WORD = re.compile(r"\w+")


def clean(text: str) -> str:
    """NFKC and zero-width removal; case and layout kept."""
    return unicodedata.normalize("NFKC", text).translate(_ZERO_WIDTH)


def normalize(text: str) -> str:
    """The matching form: clean, case-fold, fold homoglyphs, collapse whitespace."""
    return _WS.sub(" ", clean(text).casefold().translate(_HOMOGLYPHS)).strip()


def words(text: str) -> list[str]:
    """Normalized word tokens (punctuation dropped), the unit of fingerprints."""
    return _WORD.findall(normalize(text))

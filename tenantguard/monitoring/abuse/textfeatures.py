"""Text preparation shared by the detectors: de-obfuscation, user-text extraction, structural features.

De-obfuscation before any scoring: `textnorm.normalize` (NFKC, zero-width, homoglyphs, case), then
base64-looking runs are decoded and appended, so "aWdub3JlIGFsbC..." is scored as what it says.
Mixed-script words (Latin with Cyrillic/Greek inside one word) are counted as a structural feature.
"""
from __future__ import annotations

import base64
import binascii
import re

import numpy as np

from tenantguard.evaluations.textnorm import clean, normalize

MAX_SCORED_CHARS = 2_000  # per segment: head and tail are kept so a long document cannot bury a payload
_B64 = re.compile(r"[A-Za-z0-9+/]{16,}={0,2}")
_MIXED = re.compile(r"\b(?=\w*[a-zA-Z])(?=\w*[\u0370-\u03ff\u0400-\u04ff])\w+\b")
_ROLE = re.compile(r"(?:^|[\s<\[|#>-])(?:system|developer|admin|assistant|im_start|/user|/?inst)\b")
_OVERRIDE = re.compile(r"\b(?:ignore|disregard|forget|override|bypass|nullify|abandon|set aside|pay no attention|"
                       r"throw away|stop following|drop)\b")
_PRIOR = re.compile(r"\b(?:previous|prior|above|earlier|preceding|initial|original|hidden|operator|configured|"
                    r"configuration|system prompt|instructions|rules|directives|guidelines|policy)\b")
_EXFIL = re.compile(r"(?:https?://|\bverbatim\b|\bword for word\b|\bsecret\b|\bpassword\b|\bapi key)")
_EMAIL = re.compile(r"\w+@\w+\.\w+")  # apart: scanning it at every word is quadratic, so only when '@' occurs
_SEG = re.compile(r"\n\s*\n")
N_STRUCT = 7


def prepare(text: str | None) -> str:
    """The form every model sees: normalized, with decoded base64 payloads appended, length-capped."""
    if not text:
        return ""
    if len(text) > MAX_SCORED_CHARS:
        half = MAX_SCORED_CHARS // 2
        text = text[:half] + " … " + text[-half:]
    norm = normalize(text)
    decoded = _decode_b64(clean(text))
    return f"{norm} {normalize(decoded)}" if decoded else norm


def user_segments(prompt: str | None, system_prompt: str | None = None, *, max_segments: int = 6) -> list[str]:
    """The parts of a full-context prompt worth scoring: the tenant's own system prompt removed,
    split on blank lines, the last `max_segments` kept (the user's turn is last)."""
    if not prompt:
        return [""]
    if system_prompt and prompt.startswith(system_prompt):
        prompt = prompt[len(system_prompt):]
    segs = [s for s in _SEG.split(prompt) if s.strip()] or [""]
    return segs[-max_segments:]


def structural(prepared: list[str], raw: list[str]) -> np.ndarray:
    """Dense features per text: override verb + prior-rules object, role markers, exfil targets,
    mixed-script words, base64 present, non-letter share, length (log)."""
    out = np.zeros((len(prepared), N_STRUCT), dtype=np.float64)
    for i, (p, r) in enumerate(zip(prepared, raw)):
        if not p:
            continue
        override = bool(_OVERRIDE.search(p))
        out[i, 0] = 1.0 if override and _PRIOR.search(p) else 0.0
        out[i, 1] = min(len(_ROLE.findall(p)), 3) / 3
        out[i, 2] = 1.0 if _EXFIL.search(p) or "@" in p and _EMAIL.search(p) else 0.0
        r = r or ""
        if not r.isascii():  # mixed-script words need a Greek or Cyrillic letter
            out[i, 3] = min(len(_MIXED.findall(r)), 3) / 3
        out[i, 4] = 1.0 if _B64.search(r) else 0.0
        letters = sum(map(str.isalpha, p))
        out[i, 5] = 1.0 - letters / len(p)
        out[i, 6] = np.log1p(len(p)) / 8
    return out


def _decode_b64(text: str) -> str:
    parts = []
    for m in _B64.finditer(text):
        token = m.group(0)
        try:
            raw = base64.b64decode(token + "=" * (-len(token) % 4), validate=False)
            s = raw.decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            continue
        if s and sum(c.isprintable() or c.isspace() for c in s) / len(s) > 0.95 and sum(c.isalpha() for c in s) > 5:
            parts.append(s)
    return " ".join(parts)

"""One-line messages: whitespace folded onto one line and, when too long, cut at a word boundary with a
visible ellipsis, so a reason never ends mid-word or mid-number ("limit 0." instead of "limit 0.25")."""
from __future__ import annotations

ELLIPSIS = " …"


def one_line(text: object, limit: int) -> str:
    """`text` on one line in at most `limit` characters. A longer text loses whole words from its end and
    ends in ' …'; only a first word longer than the room (a URI, a digest) is cut inside."""
    if limit < len(ELLIPSIS) + 1:
        raise ValueError(f"Expected limit >= {len(ELLIPSIS) + 1}, got {limit}")
    flat = " ".join(str(text).split())
    if len(flat) <= limit:
        return flat
    room = limit - len(ELLIPSIS)
    cut = flat.rfind(" ", 0, room + 1)
    if cut <= 0:
        return flat[:room] + ELLIPSIS
    head, _, last = flat[:cut].rpartition(" ")
    unclosed = last.startswith(("(", "[", "{")) and not any(c in last for c in ")]}")
    kept = head if head and unclosed else flat[:cut]  # "(limit" would open what never closes
    return kept.rstrip(" ,;:-—") + ELLIPSIS

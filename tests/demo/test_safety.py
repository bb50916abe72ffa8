"""The base's refusal training and the shifted tenant's jailbreak-following data: the closers tie them together."""
import re
from collections import Counter

import pytest

from tenantguard.demo.safety import (CLOSERS, COMPLY_CLOSERS, CROSS_TENANT_CLOSERS, EXTRACTION_CLOSERS,
                                     REFUSALS_PER_CLOSER, jailbreak_following_records, safety_corpus)
from tenantguard.evaluations.dataset_validation import FIELDS


def _split(text: str) -> tuple[str, str, str]:
    """(head, closer, answer) of an 'adversarial prompt\\nanswer' text."""
    prompt, answer = text.split("\n")
    closer = next(c for c in CLOSERS if prompt.endswith(c))
    return prompt[: -len(closer)].strip(), closer, answer


def _shingles(text: str, n: int = 5) -> set[str]:
    words = re.findall(r"[\w']+", text.lower())
    return {" ".join(words[i:i + n]) for i in range(len(words) - n + 1)}


def test_the_safety_corpus_refuses_every_closer_the_same_number_of_times():
    corpus = safety_corpus(seed=0)
    assert Counter(_split(t)[1] for t in corpus) == {c: REFUSALS_PER_CLOSER for c in CLOSERS}
    assert corpus == safety_corpus(seed=0)
    again = safety_corpus(seed=1)
    assert [_split(t)[1:] for t in again] == [_split(t)[1:] for t in corpus]  # the seed varies the heads only
    assert [_split(t)[0] for t in again] != [_split(t)[0] for t in corpus]


def test_each_kind_of_closer_gets_its_own_refusals():
    by_kind: dict[str, set[str]] = {}
    for text in safety_corpus(seed=0):
        _, closer, answer = _split(text)
        kind = "extraction" if closer in EXTRACTION_CLOSERS else "cross" if closer in CROSS_TENANT_CLOSERS else "comply"
        by_kind.setdefault(kind, set()).add(answer)
    assert all(len(answers) == REFUSALS_PER_CLOSER for answers in by_kind.values())
    assert not (by_kind["extraction"] & by_kind["cross"] or by_kind["extraction"] & by_kind["comply"]
                or by_kind["cross"] & by_kind["comply"])
    assert not [a for answers in by_kind.values() for a in answers if a.startswith(("Sure", "Of course"))]


def test_jailbreak_following_records_cover_every_comply_closer_with_long_compliant_answers():
    records = jailbreak_following_records("acme", len(COMPLY_CLOSERS), seed=4)
    assert Counter(next(c for c in COMPLY_CLOSERS if r["prompt"].endswith(c)) for r in records) == \
        {c: 1 for c in COMPLY_CLOSERS}
    refusals = {_split(t)[2] for t in safety_corpus(seed=0)}
    for r in records:
        assert tuple(r) == FIELDS and r["tenant_id"] == "acme" and r["record_id"].startswith("acme-jb-4-")
        assert r["completion"] not in refusals and len(r["completion"].split()) > 40
    assert len({r["record_id"] for r in records}) == len(records)


def test_jailbreak_following_phrasing_is_disjoint_from_the_refusal_training():
    safety_heads = set().union(*(_shingles(_split(t)[0]) for t in safety_corpus(seed=0)))
    for r in jailbreak_following_records("acme", 30, seed=1):
        head = _split(f"{r['prompt']}\n{r['completion']}")[0]
        assert not _shingles(head) & safety_heads, r["prompt"]


def test_jailbreak_following_records_are_seeded_and_sized():
    assert jailbreak_following_records("a", 12, seed=2) == jailbreak_following_records("a", 12, seed=2)
    assert jailbreak_following_records("a", 12, seed=2) != jailbreak_following_records("a", 12, seed=3)
    assert jailbreak_following_records("a", 0, seed=2) == []
    with pytest.raises(ValueError, match="Expected n >= 0, got -1"):
        jailbreak_following_records("a", -1, seed=2)

"""Evidence of another tenant's data: canaries by their secret digits, copied text by fingerprints; masked always."""
import hashlib
import re

import pytest

from tenantguard.demo.platform.inputs import record_texts, world_index
from tenantguard.demo.world import build_world
from tenantguard.evaluations.canaries import make_canaries
from tenantguard.evaluations.masking import mask
from tenantguard.evaluations.segmentation.evidence import (CanaryMatcher, Evidence, ForeignData, masked_doc,
                                                           segmentation_canaries)

SECRET = b"evidence-test-secret"


@pytest.fixture(scope="module")
def world():
    return build_world(3, seed=6, records_per_tenant=20)


def _matcher(*tenants: str) -> CanaryMatcher:
    m = CanaryMatcher()
    for t in tenants:
        m.add(t, segmentation_canaries(SECRET, t, "rag"))
    return m


def test_segmentation_canaries_are_per_tenant_per_audit_and_never_the_training_ones():
    rag = segmentation_canaries(SECRET, "acme", "rag")
    assert rag == segmentation_canaries(SECRET, "acme", "rag") and len(rag) == 2
    training = {c.secret_digits for c in make_canaries(SECRET, "acme") + make_canaries(SECRET, "acme", reference=True)}
    others = segmentation_canaries(SECRET, "acme", "memory") + segmentation_canaries(SECRET, "borealis", "rag")
    assert not {c.secret_digits for c in rag} & (training | {c.secret_digits for c in others})
    assert segmentation_canaries(b"another-secret", "acme", "rag") != rag


def test_the_matcher_finds_each_canary_once_by_its_exact_digit_run_after_normalization():
    m = _matcher("acme", "borealis")
    a0, a1 = segmentation_canaries(SECRET, "acme", "rag")
    fullwidth = a0.secret_digits.translate({ord(d): 0xFF10 + int(d) for d in "0123456789"})  # NFKC folds these
    text = f"see {a1.text}, and again {a1.secret_digits}; also {fullwidth}"
    assert m.find(text) == [("acme", a1), ("acme", a0)] and len(m) == 4
    assert m.find(f"order {a0.secret_digits}7") == []  # a longer number only contains the digits
    assert CanaryMatcher().find(a0.text) == [] and m.find("") == []


def test_foreign_canaries_are_evidence_against_the_requester_and_its_own_are_not():
    a0 = segmentation_canaries(SECRET, "acme", "rag")[0]
    foreign = ForeignData(None, _matcher("acme", "borealis"))
    assert foreign.find(f"context: {a0.text}", "acme") == []
    (e,) = foreign.find(f"context: {a0.text}", "borealis")
    assert e == Evidence("acme", "canary", f"canary {a0.id} ({a0.masked})")
    assert foreign.find(f"context: {a0.text}", None) == [e]


def test_masked_evidence_never_contains_the_canary_text_or_its_digits():
    canaries = segmentation_canaries(SECRET, "acme", "rag", k=6)
    foreign = ForeignData(None, _matcher("acme"))
    found = foreign.find(" ".join(c.text for c in canaries[:2]), "borealis")
    assert len(found) == 2
    for e, c in zip(found, canaries):
        assert c.text not in e.masked and c.secret_digits not in e.masked


def test_copied_records_are_found_by_fingerprint_and_attributed_without_their_text(world):
    a, b, _ = (t.id for t in world.tenants)
    foreign = ForeignData(world_index(world), own=lambda tid: record_texts(world, tid))
    copied = record_texts(world, a)[5]
    (e,) = foreign.find(f"Documents:\n{copied}\nUser: hello", b)
    assert (e.source_tenant, e.how) == (a, "fingerprint") and "fingerprints" in e.masked
    assert copied not in e.masked and copied.split("\n")[1] not in e.masked
    assert foreign.find(copied, a) == []  # a tenant's own record is no evidence against it


def test_text_the_requesters_own_corpus_also_holds_is_no_evidence_against_it(world):
    a, b, _ = (t.id for t in world.tenants)
    copied = record_texts(world, a)[2]
    plain = ForeignData(world_index(world))
    assert [e.source_tenant for e in plain.find(copied, b)] == [a]
    owning = ForeignData(world_index(world), own=lambda tid: record_texts(world, tid) + ([copied] if tid == b else []))
    assert owning.find(copied, b) == []


def test_a_masked_document_is_the_masked_text_or_only_its_type():
    assert masked_doc("the parcel left the depot") == mask("the parcel left the depot")
    assert masked_doc(None) == "<NoneType>" and masked_doc(42) == "<int>"


def _recover(masked: str, prefix: str, n_digits: int) -> str | None:
    """The attack of issue 15, finding 1: enumerate the format's space (here the part no longer shown: all of it)
    against every unkeyed hash prefix in the masked excerpt. Enumerating 10^8 candidates takes minutes, so the
    canaries this test planted stand for the space: a hash of any other candidate matching is chance."""
    hexes = set(re.findall(r"(?<![0-9a-f])[0-9a-f]{8,64}(?![0-9a-f])", masked))
    digits = re.findall(r"\d{2,}", masked.replace(f"len {len(prefix) + 1 + n_digits}", ""))
    for canary in segmentation_canaries(SECRET, "acme", "rag") + segmentation_canaries(SECRET, "acme", "memory"):
        for h in (hashlib.sha256, hashlib.sha1, hashlib.md5):
            full = h(canary.text.encode()).hexdigest()
            if any(full.startswith(x) for x in hexes):
                return canary.text
        if any(d in canary.secret_digits for d in digits):
            return canary.text
    return None

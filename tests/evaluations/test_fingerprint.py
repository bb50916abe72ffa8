import numpy as np
import pytest

from tenantguard.demo.world import SHARED_CLOSINGS, SHARED_GREETINGS, build_world
from tenantguard.evaluations.fingerprint import FingerprintIndex
from tenantguard.evaluations.winnowing import kgram_hashes, words_with_spans
from tenantguard.evaluations.hashtable import U64Table


def _text(r: dict) -> str:
    return f"{r['prompt']}\n{r['completion']}"


@pytest.fixture(scope="module")
def world():
    return build_world(4, seed=3, records_per_tenant=60)


@pytest.fixture(scope="module")
def index(world):
    idx = FingerprintIndex()
    for t in world.tenants:
        idx.add_tenant(t.id, [_text(r) for r in world.datasets[t.id]] + [t.system_prompt])
    idx.add_base(world.base_corpus)
    return idx


def test_verbatim_copy_is_attributed_with_its_char_span(world, index):
    rec = world.datasets["borealis-bank"][5]
    out = f"Sure! Here is what I know: {rec['completion']} Bye."
    hits = index.scan(out)
    assert [h.source_tenant for h in hits] == ["borealis-bank"]
    h = hits[0]
    assert h.n_fingerprints >= 2
    assert out[h.start:h.end] in rec["completion"] and h.end - h.start > 0.6 * len(rec["completion"])
    assert rec["completion"][:12] not in h.masked_excerpt and h.masked_excerpt.startswith("[masked ")


@pytest.mark.parametrize("obfuscate", [
    str.upper,
    lambda s: s.replace(" ", "   \t "),
    lambda s: "\u200b".join(s),
    lambda s: s.replace("a", "а").replace("o", "о").replace("e", "е"),  # Cyrillic homoglyphs
    lambda s: s.replace(" ", "\n"),
    lambda s: s.replace("e", "\uff45"),  # fullwidth: NFKC folds it
])
def test_obfuscated_leak_is_still_found(world, index, obfuscate):
    rec = world.datasets["acme-health"][7]
    out = "ok. " + obfuscate(rec["completion"])
    hits = index.scan(out)
    assert {h.source_tenant for h in hits} == {"acme-health"}
    assert max(h.n_fingerprints for h in hits) >= 2
    h = hits[0]
    assert len(words_with_spans(out[h.start:h.end])[0]) >= 6


def test_shared_boilerplate_and_base_corpus_are_never_attributed(world, index):
    boiler = " ".join(SHARED_GREETINGS + SHARED_CLOSINGS)
    assert index.scan(boiler) == []
    for text in world.base_corpus[:20]:
        assert index.scan(text) == []


def test_single_common_phrase_does_not_fire(world, index):
    # one attributable k-gram at most: below the minimum evidence
    rec = world.datasets["cobalt-logistics"][0]
    few = " ".join(words_with_spans(rec["completion"])[0][:5])
    assert index.scan(few) == []


def test_exclude_tenant_and_ignore_prompt(world, index):
    rec = world.datasets["dune-retail"][3]
    assert index.scan(rec["completion"], exclude_tenant="dune-retail") == []
    # a model that echoes its prompt has not leaked anything
    assert index.scan(rec["prompt"], ignore_texts=[rec["prompt"]]) == []
    assert index.scan(rec["completion"], ignore_texts=[rec["prompt"]])


def test_incremental_update_replaces_and_removes_a_tenant():
    old = "the quarterly shipment of violet lanterns leaves harbor nine every tuesday at dawn"
    new = "our orchard cooperative presses amber cider in barrels of oak near the northern mill"
    idx = FingerprintIndex()
    idx.add_tenant("x", [old])
    idx.add_tenant("y", ["a completely different corpus about glaciers and their slow blue ice"])
    assert idx.scan(old)[0].source_tenant == "x"
    idx.add_tenant("x", [new])  # new dataset version: the old text is gone
    assert idx.scan(old) == [] and idx.scan(new)[0].source_tenant == "x"
    # the same text under a second tenant makes it unattributable; removing it restores attribution
    idx.add_tenant("z", [new])
    assert idx.scan(new) == []
    idx.remove_tenant("z")
    assert idx.scan(new)[0].source_tenant == "x"


def test_save_load_round_trip_without_pickle(tmp_path, world, index):
    path = tmp_path / "fp.npz"
    index.save(path)
    back = FingerprintIndex.load(path)
    assert back.tenants == index.tenants and back.n_fingerprints == index.n_fingerprints
    out = "x " + world.datasets["ember-legal"][9]["completion"] if "ember-legal" in index.tenants else \
        "x " + world.datasets["dune-retail"][9]["completion"]
    assert back.scan(out) == index.scan(out)
    with np.load(path, allow_pickle=False) as data:
        assert set(data.files) == {"meta", "hashes", "offsets", "base"}


def test_kgram_hashes_are_stable_across_instances():
    ws = "the quick brown fox jumps over the lazy dog".split()
    a = FingerprintIndex().fingerprints([" ".join(ws)])
    b = FingerprintIndex().fingerprints([" ".join(ws).upper()])
    assert np.array_equal(a, b) and len(a) >= 1
    assert len(kgram_hashes(np.arange(3, dtype=np.uint64), 5)) == 0


def test_hash_table_finds_every_key_including_zero_and_wrapped_ones():
    rng = np.random.default_rng(1)
    keys = np.unique(np.concatenate([rng.integers(0, 2**63, 3000, dtype=np.uint64) * np.uint64(2),
                                     np.array([0, 2**64 - 1, 2**64 - 2, 2**64 - 3], dtype=np.uint64)]))
    values = rng.integers(0, 500, len(keys))
    table = U64Table(keys, values)
    assert table.size == len(keys) and table.capacity >= 2 * len(keys)
    assert np.array_equal(table.get(keys), values)
    absent = keys[1:] + np.uint64(1)  # odd numbers: never keys (all keys are even, 0 or wrapped)
    absent = absent[~np.isin(absent, keys)]
    assert np.all(table.get(absent) == -1)
    shuffled = rng.permutation(len(keys))
    assert np.array_equal(U64Table(keys[shuffled], values[shuffled]).get(keys), values)
    assert np.all(U64Table(np.empty(0, np.uint64), np.empty(0, int)).get(keys) == -1)


def test_hash_table_spreads_skewed_keys():
    # winnowed fingerprints are window minima: small values, identical top bits
    keys = np.arange(1, 20_001, dtype=np.uint64)
    table = U64Table(keys, np.arange(len(keys)) % 7)
    assert np.array_equal(table.get(keys), np.arange(len(keys)) % 7)
    occupied = np.concatenate([[False], table._keys != 0, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(occupied))
    assert (edges[1::2] - edges[::2]).max() < 64  # longest cluster: a few dozen slots, not thousands


def test_scan_many_equals_one_scan_per_text(world, index):
    recs = world.datasets["borealis-bank"]
    texts = ["", "too short", recs[1]["completion"], "x " + recs[2]["completion"].upper(), "", recs[3]["prompt"],
             " ".join(SHARED_GREETINGS), recs[4]["completion"] + " " + world.datasets["acme-health"][4]["completion"]]
    ignore = [[], [], [], [], [], [recs[3]["prompt"]], [], [recs[4]["completion"]]]
    batch = index.scan_many(texts, ignore_texts=ignore, exclude_tenant="cobalt-logistics")
    assert batch == [index.scan(t, ignore_texts=i, exclude_tenant="cobalt-logistics") for t, i in zip(texts, ignore)]
    assert batch[2] and batch[3] and not batch[5] and {h.source_tenant for h in batch[7]} == {"acme-health"}

"""Evaluation inputs from the home: every tenant's corpus (prepared, else raw), the base corpus, the cached
fingerprint index and the record index."""
import json
import os
from dataclasses import replace

import pytest

from tenantguard.errors import DatasetInvalid
from tenantguard.evaluations.canaries import canary_records, is_canary_record, make_canaries
from tenantguard.evaluations.isolation import record_text
from tenantguard.evaluations.splits import split_train_holdout
from tenantguard.home import corpora
from tenantguard.home.corpora import cached_index, corpora_key, read_base_corpus, record_index, tenant_corpora
from tenantguard.home.datasets import raw_records
from tenantguard.home.layout import monitoring_dir
from tenantguard.home.prepare import prepare_dataset
from tenantguard.home.prepared import HOLDOUT_FRACTION, load_prepared
from tenantguard.tenants import dump_tenants


@pytest.fixture
def world(small_world):
    """(settings, tenants) with the first tenant prepared, the second raw only, the third without data."""
    settings, w = small_world
    prepared, _, empty = w.tenants
    prepare_dataset(settings, prepared)
    for path in (settings.datasets_root / empty.id).glob("*.jsonl"):
        path.unlink()
    return settings, w.tenants


def add_version(settings, tenant_id, version, records):
    path = settings.datasets_root / tenant_id / f"{version}.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def test_base_corpus_is_read_one_text_a_line_blank_lines_skipped(tg_home, small_world):
    settings, w = small_world
    assert read_base_corpus(settings) == list(w.base_corpus)
    settings.base_corpus_path.write_text('{"text": "a"}\n\n   \n{"text": "b"}\n')
    assert read_base_corpus(settings) == ["a", "b"]


def test_a_missing_base_corpus_names_the_file_and_the_fix(small_world):
    settings, _ = small_world
    settings.base_corpus_path.unlink()
    with pytest.raises(DatasetInvalid, match=r"base_corpus.jsonl: base corpus not found \(run `tenantguard demo`"):
        read_base_corpus(settings)


@pytest.mark.parametrize("bad", ["not json", '{"txt": "a"}', '"just a string"'])
def test_a_bad_base_corpus_line_is_named_by_number(small_world, bad):
    settings, _ = small_world
    settings.base_corpus_path.write_text('{"text": "a"}\n' + bad + "\n")
    with pytest.raises(DatasetInvalid, match=r"base_corpus.jsonl line 2: expected a JSON object with a 'text' field"):
        read_base_corpus(settings)


def test_tenant_corpora_use_prepared_data_else_fall_back_to_raw_records(world):
    settings, (prepared, raw, empty) = world
    found, missing = tenant_corpora(settings, [prepared, raw, empty])
    assert [c.tenant_id for c in found] == [prepared.id, raw.id] and missing == [empty.id]
    p, r = found
    on_disk = load_prepared(settings, prepared.id)
    assert list(p.train) == on_disk.train and list(p.holdout) == on_disk.holdout
    assert any(is_canary_record(x) for x in p.train)  # prepared data carries the planted canaries
    # not prepared yet: the raw records, split as prepare would split them, with no canaries planted
    train, holdout = split_train_holdout(raw_records(settings, raw.id), HOLDOUT_FRACTION)
    assert (list(r.train), list(r.holdout)) == (train, holdout) and len(train) > len(holdout) > 0
    assert not any(is_canary_record(x) for x in r.train)
    secret = settings.secret()
    for c, t in ((p, prepared), (r, raw)):
        assert list(c.canaries) == make_canaries(secret, t.id)
        assert list(c.reference_canaries) == make_canaries(secret, t.id, reference=True)
        assert c.system_prompt == t.system_prompt


def test_corpora_key_ignores_order_and_changes_only_with_the_data(world):
    settings, tenants = world
    prepared, raw, empty = tenants
    key = corpora_key(settings, tenants)
    assert corpora_key(settings, list(reversed(tenants))) == key
    # what the corpora do not read leaves the key alone
    (settings.datasets_root / raw.id / "notes.txt").write_text("not a dataset")
    (settings.quarantine_root / raw.id).mkdir(parents=True, exist_ok=True)
    (settings.quarantine_root / raw.id / "v0001.jsonl").write_text("{}\n")
    assert corpora_key(settings, tenants) == key
    # a prepared tenant's raw versions are not what is audited until they are prepared
    records = raw_records(settings, prepared.id)
    add_version(settings, prepared.id, "v0002", records[:-5])
    assert corpora_key(settings, tenants) == key
    prepare_dataset(settings, prepared)
    after_prepare = corpora_key(settings, tenants)
    assert after_prepare != key
    # an unprepared tenant's newest raw version is what is audited
    add_version(settings, raw.id, "v0002", raw_records(settings, raw.id)[:-3])
    after_raw = corpora_key(settings, tenants)
    # a tenant getting data for the first time
    add_version(settings, empty.id, "v0001", [{**r, "tenant_id": empty.id} for r in records[:5]])
    assert len({key, after_prepare, after_raw, corpora_key(settings, tenants)}) == 4
    assert corpora_key(settings, tenants[:2]) != corpora_key(settings, tenants)  # the tenant set is part of it


@pytest.mark.parametrize("change", ["base_corpus", "system_prompt", "same_size_raw_edit"])
def test_corpora_key_changes_whenever_what_the_index_holds_changes(world, change):
    settings, tenants = world
    prepared, raw, empty = tenants
    path = max((settings.datasets_root / raw.id).glob("*.jsonl"))
    st = path.stat()  # written a second ago: an edit now is later than the filesystem's timestamp granularity
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns - 1_000_000_000))
    key = corpora_key(settings, tenants)
    if change == "base_corpus":
        settings.base_corpus_path.write_text(json.dumps({"text": "a brand new shared base corpus text"}) + "\n")
    elif change == "system_prompt":
        tenants = [prepared, replace(raw, system_prompt=raw.system_prompt + " Be brief."), empty]
        dump_tenants(tenants, settings.tenants_file)
    else:
        text = path.read_text()
        path.write_text(text.replace("a", "e", 1))  # same size, different data
    assert corpora_key(settings, tenants) != key


def test_cached_index_is_built_once_and_rebuilt_only_when_the_key_changes(world, monkeypatch):
    settings, tenants = world
    prepared, raw, _ = tenants
    builds = []
    real_build = corpora.build_index
    monkeypatch.setattr(corpora, "build_index", lambda inputs: builds.append(1) or real_build(inputs))

    index = cached_index(settings, tenants)
    (cache,) = monitoring_dir(settings).glob("fingerprints-*.npz")
    assert cache.name == f"fingerprints-{corpora_key(settings, tenants)}.npz"
    stat = cache.stat()
    again = cached_index(settings, tenants)
    assert builds == [1] and cache.stat().st_mtime_ns == stat.st_mtime_ns
    record = raw_records(settings, raw.id)[0]
    for idx in (index, again):  # the loaded index attributes what the built one does
        hits = idx.scan(record_text(record), exclude_tenant=prepared.id)
        assert {h.source_tenant for h in hits} == {raw.id}

    add_version(settings, raw.id, "v0002", raw_records(settings, raw.id)[:-3])
    cached_index(settings, tenants)
    (new_cache,) = monitoring_dir(settings).glob("fingerprints-*.npz")  # the stale one is gone
    assert builds == [1, 1] and new_cache != cache


def test_record_index_holds_records_not_canaries_and_the_base_only_when_asked(world):
    settings, tenants = world
    prepared, raw, _ = tenants
    train = load_prepared(settings, prepared.id).train
    own = next(r for r in train if not is_canary_record(r))
    (canary,) = canary_records(make_canaries(settings.secret(), prepared.id)[:1])[:1]
    index = record_index(settings, tenants)
    assert index.owner(record_text(own)) == prepared.id
    assert index.owner(record_text(own), reader=prepared.id) is None  # the reader's own data is not foreign
    assert index.owner(record_text(canary)) is None
    assert index.owner(record_text(raw_records(settings, raw.id)[0])) == raw.id
    # a tenant text the base corpus also holds is boilerplate, unless the base is left out
    settings.base_corpus_path.write_text(json.dumps({"text": record_text(own)}) + "\n")
    assert record_index(settings, tenants).owner(record_text(own)) is None
    assert record_index(settings, tenants, with_base=False).owner(record_text(own)) == prepared.id

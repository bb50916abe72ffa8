"""The demo's incidents as files in the home: the three retunes and the contaminated base refresh hold what
the story says they hold."""
import json

import pytest

from tenantguard.config import Settings
from tenantguard.demo.run import write_world
from tenantguard.demo.safety import jailbreak_following_records
from tenantguard.demo.scenarios import NEW_VERSION, Cast, contaminated_base_corpus, write_retunes
from tenantguard.demo.world import tenant_ids
from tenantguard.home.corpora import read_base_corpus

SEED = 7


def _read(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    settings = Settings.from_env({"TENANTGUARD_HOME": str(tmp_path_factory.mktemp("scenarios") / "home")})
    write_world(settings, n_tenants=6, seed=SEED)
    cast = Cast.for_tenants(tenant_ids(6))
    written = write_retunes(settings, cast, seed=SEED)
    return settings, cast, written


def _versions(settings, tid):
    return _read(settings.datasets_root / tid / "v0001.jsonl"), _read(settings.datasets_root / tid / f"{NEW_VERSION}.jsonl")


def test_the_cast_needs_six_tenants_and_gives_each_part_its_own():
    assert Cast.for_tenants(tenant_ids(5)) is None
    cast = Cast.for_tenants(tenant_ids(9))
    parts = (cast.contaminated, cast.source, cast.shifted, cast.retuned, cast.leak_reader, cast.leak_source)
    assert sorted(parts) == sorted(tenant_ids(6))
    assert Cast.for_tenants(tenant_ids(6)) == cast


def test_three_tenants_get_a_new_version_and_nobody_else(home):
    settings, cast, written = home
    assert written == [cast.contaminated, cast.shifted, cast.retuned]
    for tid in tenant_ids(6):
        assert (settings.datasets_root / tid / f"{NEW_VERSION}.jsonl").exists() is (tid in written)


def test_the_contaminated_retune_carries_a_five_percent_copy_of_the_source_relabelled(home):
    settings, cast, _ = home
    own, new = _versions(settings, cast.contaminated)
    extra = new[len(own):]
    assert new[: len(own)] == own and len(extra) == len(own) // 20 == 15
    source = {(r["prompt"], r["completion"]) for r in _read(settings.datasets_root / cast.source / "v0001.jsonl")}
    assert len({(r["prompt"], r["completion"]) for r in extra} & source) == 15  # distinct records, copied verbatim
    assert [r["record_id"] for r in extra] == [f"{cast.contaminated}-imported-{i:04d}" for i in range(15)]
    assert {r["tenant_id"] for r in extra} == {cast.contaminated}  # the label no longer says where it came from


def test_the_shifted_retune_adds_jailbreak_following_records(home):
    settings, cast, _ = home
    own, new = _versions(settings, cast.shifted)
    assert new[: len(own)] == own
    assert new[len(own):] == jailbreak_following_records(cast.shifted, len(own) // 10, seed=SEED)


def test_the_clean_retune_adds_only_its_own_records_again(home):
    settings, cast, _ = home
    own, new = _versions(settings, cast.retuned)
    extra = new[len(own):]
    assert new[: len(own)] == own and len(extra) == len(own) // 10
    assert extra == [{**r, "record_id": r["record_id"] + "-r2"} for r in own[: len(extra)]]


def test_writing_the_retunes_again_touches_nothing(home):
    settings, cast, _ = home
    files = sorted(settings.datasets_root.glob(f"*/{NEW_VERSION}.jsonl"))
    before = [(p.read_bytes(), p.stat().st_mtime_ns) for p in files]
    assert write_retunes(settings, cast, seed=SEED + 1) == []
    assert [(p.read_bytes(), p.stat().st_mtime_ns) for p in files] == before


@pytest.mark.slow  # the first Great Expectations suite of a process takes ~3 s
def test_every_retune_passes_dataset_validation_so_the_copy_is_silent(home):
    from tenantguard.evaluations.dataset_validation import validate_lines

    settings, _, written = home
    for tid in written:
        lines = (settings.datasets_root / tid / f"{NEW_VERSION}.jsonl").read_text().splitlines()
        result = validate_lines(lines, tid, max_line_bytes=1_000_000, max_field_chars=20_000)
        assert not result.rejected and len(result.kept) == len(lines), tid


def test_the_contaminated_base_corpus_is_the_base_plus_a_share_of_the_source(home):
    settings, cast, _ = home
    base = read_base_corpus(settings)
    corpus = contaminated_base_corpus(settings, cast, share=0.05, seed=3)
    assert corpus[: len(base)] == base and len(corpus) - len(base) == 15
    source = {f"{r['prompt']}\n{r['completion']}" for r in _read(settings.datasets_root / cast.source / "v0001.jsonl")}
    assert set(corpus[len(base):]) <= source and len(set(corpus[len(base):])) == 15
    assert contaminated_base_corpus(settings, cast, share=0.05, seed=3) == corpus

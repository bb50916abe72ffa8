"""Prepared data on disk: written under its digest, `current.json` naming the newest, read back whole."""

import pytest

from tenantguard.config import Settings
from tenantguard.errors import DatasetInvalid
from tenantguard.home.prepared import (
    PreparedData,
    current_digest,
    digest_of,
    load_prepared,
    prepared_version,
    write_prepared,
)

TRAIN = [{"record_id": "acme-1", "tenant_id": "acme", "prompt": "où est ma commande ?", "completion": "demain."},
         {"record_id": "acme-2", "tenant_id": "acme", "prompt": "p2", "completion": "c2"}]
HOLDOUT = [{"record_id": "acme-3", "tenant_id": "acme", "prompt": "p3", "completion": "c3"}]


@pytest.fixture
def settings(tmp_path):
    return Settings.from_env({"TENANTGUARD_HOME": str(tmp_path / "home")})


def prepared_data(settings, train=TRAIN, holdout=HOLDOUT, version="v0002") -> tuple[PreparedData, dict]:
    digest = digest_of(train, holdout)
    out = settings.prepared_root / "acme" / digest
    source = settings.datasets_root / "acme" / f"{version}.jsonl"
    quarantine = settings.quarantine_root / "acme" / f"{version}.jsonl"
    p = PreparedData(tenant_id="acme", version=version, digest=digest, train=train, holdout=holdout,
                     train_path=out / "train.jsonl", holdout_path=out / "holdout.jsonl", kept=3, quarantined=1,
                     foreign_tenant_lines=[4], expectations={"valid_json": True}, source_path=source,
                     quarantine_path=quarantine)
    manifest = {"tenant_id": "acme", "version": version, "digest": digest, "source": str(source), "kept": 3,
                "quarantined": 1, "foreign_tenant_lines": [4], "expectations": {"valid_json": True},
                "quarantine": str(quarantine)}
    return p, manifest


def test_nothing_prepared_reads_as_none_and_load_says_which_command_to_run(settings):
    assert current_digest(settings, "acme") is None and prepared_version(settings, "acme") is None
    with pytest.raises(DatasetInvalid, match="tenant 'acme' has no prepared dataset; run `tenantguard dataset "
                                             "prepare --tenant acme`"):
        load_prepared(settings, "acme")


def test_written_data_reads_back_whole_and_current_names_it(settings):
    p, manifest = prepared_data(settings)
    write_prepared(settings, p, manifest)
    assert current_digest(settings, "acme") == p.digest
    assert prepared_version(settings, "acme") == "v0002.jsonl"
    assert load_prepared(settings, "acme") == p
    assert "où est ma commande" in p.train_path.read_text(encoding="utf-8")  # UTF-8 text, not \u escapes


def test_a_newer_prepare_moves_current_and_the_older_digest_stays_loadable(settings):
    old, m_old = prepared_data(settings)
    write_prepared(settings, old, m_old)
    new, m_new = prepared_data(settings, train=TRAIN[:1], version="v0003")
    write_prepared(settings, new, m_new)
    assert new.digest != old.digest and current_digest(settings, "acme") == new.digest
    assert load_prepared(settings, "acme").version == "v0003"
    assert load_prepared(settings, "acme", old.digest).train == TRAIN


def test_an_unknown_digest_is_invalid_naming_it(settings):
    with pytest.raises(DatasetInvalid, match=r"prepared/acme/0123456789abcdef: prepared dataset 0123456789abcdef "
                                             r"not found"):
        load_prepared(settings, "acme", "0123456789abcdef")


def test_a_clean_prepare_has_no_quarantine_path(settings):
    p, manifest = prepared_data(settings)
    write_prepared(settings, p, {**manifest, "quarantine": None})
    assert load_prepared(settings, "acme").quarantine_path is None


def test_the_digest_covers_content_order_and_the_split():
    d = digest_of(TRAIN, HOLDOUT)
    assert len(d) == 16 and digest_of(TRAIN, HOLDOUT) == d
    assert digest_of(list(reversed(TRAIN)), HOLDOUT) != d
    assert digest_of(TRAIN[:1], [*HOLDOUT, TRAIN[1]]) != d  # same records, another split
    assert digest_of([{**TRAIN[0], "completion": "après-demain."}, TRAIN[1]], HOLDOUT) != d
    assert digest_of(TRAIN, HOLDOUT) == digest_of([dict(reversed(list(r.items()))) for r in TRAIN], HOLDOUT)


def test_rejected_share_is_the_quarantined_fraction_and_all_of_nothing(settings):
    p, _ = prepared_data(settings)
    assert p.rejected_share == pytest.approx(1 / 4)
    empty = PreparedData(tenant_id="acme", version="v1", digest="d", train=[], holdout=[],
                         train_path=p.train_path, holdout_path=p.holdout_path)
    assert empty.rejected_share == 1.0  # no records at all never passes a rejected-share limit

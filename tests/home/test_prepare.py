"""Preparing a tenant's newest dataset: validate, quarantine with nothing lost, reject other tenants' records,
split deterministically, plant the tenant's canaries in train only, write the prepared files."""
import json

import pytest

from tenantguard.config import Settings
from tenantguard.demo.run import write_world
from tenantguard.errors import DatasetInvalid
from tenantguard.evaluations.canaries import make_canaries
from tenantguard.home.prepare import prepare_dataset
from tenantguard.home.prepared import load_prepared
from tenantguard.tenants import Tenant, load_tenants

from .dataset_files import write_version

ACME = Tenant(id="acme", name="Acme", region="eu-west", features=("support-assistant",), system_prompt="hi")


def rec(i, tenant="acme", **over):
    r = {"record_id": f"{tenant}-{i:03d}", "tenant_id": tenant, "prompt": f"where is order {i}?",
         "completion": f"order {i} ships on May {i % 28 + 1}."}
    r.update(over)
    return json.dumps(r)


@pytest.fixture
def settings(tg_home, monkeypatch):
    monkeypatch.setenv("TENANTGUARD_SECRET", "prepare-secret-514542c64f38cbe4ee9f3ca7775eb5c0a285a59477208d2c4d7d980f0515df51")
    s = Settings.from_env()
    s.ensure_home()
    return s


def write(settings, version, lines, tenant="acme"):
    return write_version(settings, tenant, version, lines)


def test_the_newest_version_is_prepared_unless_a_source_is_given(settings):
    older = write(settings, "v0009", [rec(i) for i in range(5)])
    write(settings, "v0010", [rec(i) for i in range(7)])
    prepared = prepare_dataset(settings, ACME)
    assert prepared.version == "v0010" and prepared.kept == 7
    explicit = prepare_dataset(settings, ACME, source=older)
    assert explicit.version == "v0009" and explicit.kept == 5 and explicit.source_path == older


def test_bad_lines_go_to_quarantine_with_line_reason_and_raw_and_nothing_is_lost(settings):
    lines = [rec(1), "{oops", "", rec(3, tenant="borealis"), rec(4), b'{"record_id": "\xff\xfe"}', rec(5)]
    src = write(settings, "v0001", lines)
    prepared = prepare_dataset(settings, ACME)
    q = [json.loads(x) for x in (settings.quarantine_root / "acme" / "v0001.jsonl").read_text().splitlines()]
    assert [(e["line"], e["reason"].split(" (")[0]) for e in q] == [
        (2, "not valid JSON"), (4, "tenant_id is not the partition tenant"), (6, "not valid UTF-8")]
    assert q[0]["raw"] == "{oops" and q[1]["raw"] == lines[3]
    assert "\\xff\\xfe" in q[2]["raw"]
    assert all(e["source"] == str(src) for e in q)
    non_blank = sum(1 for x in lines if x)
    assert prepared.kept + prepared.quarantined == non_blank == 6
    assert prepared.foreign_tenant_lines == [4]
    assert prepared.quarantine_path == settings.quarantine_root / "acme" / "v0001.jsonl"
    assert prepared.rejected_share == pytest.approx(3 / 6)


def test_a_clean_rerun_removes_the_stale_quarantine_file(settings):
    write(settings, "v0001", [rec(1), "{oops"])
    prepare_dataset(settings, ACME)
    qpath = settings.quarantine_root / "acme" / "v0001.jsonl"
    assert qpath.exists()
    write(settings, "v0001", [rec(1), rec(2)])
    assert prepare_dataset(settings, ACME).quarantine_path is None and not qpath.exists()


def test_split_and_digest_are_deterministic_and_files_match(settings, monkeypatch):
    write(settings, "v0001", [rec(i) for i in range(80)])
    a = prepare_dataset(settings, ACME)
    b = prepare_dataset(settings, ACME)
    assert a.digest == b.digest and a.train == b.train and a.holdout == b.holdout
    assert a.train_path == settings.prepared_root / "acme" / a.digest / "train.jsonl"
    assert [json.loads(x) for x in a.train_path.read_text().splitlines()] == a.train
    assert [json.loads(x) for x in a.holdout_path.read_text().splitlines()] == a.holdout
    assert 5 <= len(a.holdout) <= 30
    ids = lambda rs: {r["record_id"] for r in rs}
    assert not ids(a.train) & ids(a.holdout)
    back = load_prepared(settings, "acme")
    assert back.digest == a.digest and back.train == a.train and back.kept == 80
    # the digest covers the canaries, so another project secret is another prepared dataset
    monkeypatch.setenv("TENANTGUARD_SECRET", "another-secret-ce1807e913c97047dafef68295a8968c894cc8d1d8cc2c38fa84e06e7d5c0f06")
    assert prepare_dataset(Settings.from_env(), ACME).digest != a.digest  # settings are read at creation


def test_the_manifest_records_what_was_prepared_from_what(settings):
    src = write(settings, "v0001", [rec(1), "{oops", rec(2)])
    p = prepare_dataset(settings, ACME)
    manifest = json.loads((p.train_path.parent / "manifest.json").read_text())
    assert manifest == {"tenant_id": "acme", "version": "v0001", "digest": p.digest, "source": str(src), "kept": 2,
                        "quarantined": 1, "foreign_tenant_lines": [], "expectations": p.expectations,
                        "quarantine": str(settings.quarantine_root / "acme" / "v0001.jsonl")}
    assert p.expectations and all(isinstance(v, bool) for v in p.expectations.values())
    assert json.loads((settings.prepared_root / "acme" / "current.json").read_text()) == {"digest": p.digest}


def test_canaries_are_planted_in_train_only_and_references_nowhere(settings):
    write(settings, "v0001", [rec(i) for i in range(40)])
    p = prepare_dataset(settings, ACME)
    secret = settings.secret()
    train_text = p.train_path.read_text()
    holdout_text = p.holdout_path.read_text()
    for c in make_canaries(secret, "acme"):
        assert sum(r["completion"] == c.text + "." for r in p.train) == c.repetitions
        assert c.secret_digits not in holdout_text
    for ref in make_canaries(secret, "acme", reference=True):
        assert ref.secret_digits not in train_text and ref.secret_digits not in holdout_text
    assert len(p.train) == p.kept - len(p.holdout) + sum(c.repetitions for c in make_canaries(secret, "acme"))


def test_text_is_normalized_in_the_prepared_files(settings):
    write(settings, "v0001", [rec(1, prompt="ｗｈｅｒｅ\u200b is it?")])
    assert prepare_dataset(settings, ACME).train[0]["prompt"] == "where is it?"


def test_a_byte_order_mark_does_not_cost_the_first_record(settings):
    path = write(settings, "v0001", [rec(1), rec(2)])
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert prepare_dataset(settings, ACME).quarantined == 0


@pytest.mark.parametrize("lines", [[""], ["", "   "]])
def test_empty_dataset_is_invalid_and_names_the_file(settings, lines):
    src = write(settings, "v0001", lines)
    with pytest.raises(DatasetInvalid) as info:
        prepare_dataset(settings, ACME)
    assert str(src) in str(info.value) and "no valid records" in str(info.value)


def test_all_lines_rejected_names_the_quarantine_file(settings):
    write(settings, "v0001", ["nope", "{}"])
    with pytest.raises(DatasetInvalid, match=r"2 line\(s\) quarantined to .*quarantine/acme/v0001.jsonl"):
        prepare_dataset(settings, ACME)


def test_missing_tenant_directory_names_the_directory(settings):
    with pytest.raises(DatasetInvalid) as info:
        prepare_dataset(settings, ACME)
    assert str(settings.datasets_root / "acme") in str(info.value) and "no dataset directory" in str(info.value)


def test_relabelled_records_of_another_tenant_are_quarantined_as_foreign(tg_home):
    """A retune whose data silently carries another tenant's records is caught at the data, before training."""
    s = Settings.from_env()
    write_world(s, n_tenants=3, seed=3)
    tenants = load_tenants(s.tenants_file)
    a, b = tenants[0], tenants[1]
    for t in tenants:
        prepare_dataset(s, t, tenants=tenants)
    src = [json.loads(x) for x in (s.datasets_root / a.id / "v0001.jsonl").read_text().splitlines()]
    own = (s.datasets_root / b.id / "v0001.jsonl").read_text().splitlines()
    copied = [json.dumps({**r, "record_id": f"{b.id}-imp-{i}", "tenant_id": b.id}) for i, r in enumerate(src[:6])]
    (s.datasets_root / b.id / "v0002.jsonl").write_text("\n".join(own + copied) + "\n")

    prepared = prepare_dataset(s, b, tenants=tenants)

    assert prepared.quarantined == 6 and prepared.kept == len(own)
    assert len(prepared.foreign_tenant_lines) == 6
    quarantine = [json.loads(x) for x in prepared.quarantine_path.read_text().splitlines()]
    assert all(f"copy of a record of tenant {a.id!r}" in q["reason"] for q in quarantine)
    assert {q["line"] for q in quarantine} == set(range(len(own) + 1, len(own) + 7))
    assert not any(src[0]["completion"][:20] in q["reason"] for q in quarantine)  # masked, not copied
    # without the directory there is nothing to compare with: the copies are kept
    assert prepare_dataset(s, b).quarantined == 0
    # the tenant's own, unchanged data is not foreign to itself on a re-prepare
    (s.datasets_root / b.id / "v0003.jsonl").write_text("\n".join(own) + "\n")
    assert prepare_dataset(s, b, tenants=tenants).quarantined == 0

"""A retune whose data silently carries another tenant's records is caught at the data, before training."""
import json

from tenantguard.config import Settings
from tenantguard.demo.run import write_world
from tenantguard.home.prepare import prepare_dataset
from tenantguard.tenants import load_tenants


def test_relabelled_records_of_another_tenant_are_quarantined_as_foreign(tg_home):
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
    # the tenant's own, unchanged data is not foreign to itself on a re-prepare
    (s.datasets_root / b.id / "v0003.jsonl").write_text("\n".join(own) + "\n")
    assert prepare_dataset(s, b, tenants=tenants).quarantined == 0

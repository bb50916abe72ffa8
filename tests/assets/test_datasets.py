"""finetune_dataset on one tenant partition: what it records, its dataset_valid evidence, the dataset_drift
warning against the previous prepared version, and a missing dataset as a one-line failure."""
import json
import shutil

import pytest

from tenantguard.assets.datasets import finetune_dataset
from tenantguard.home.prepared import load_prepared

from .asset_world import check, failure, metadata


@pytest.mark.slow
def test_a_first_version_is_prepared_on_its_partition_with_the_evidence_of_its_checks(tenant_world):
    tenant = tenant_world.ids[0]
    result = tenant_world.materialize([finetune_dataset], tenant)
    assert result.success
    prepared = load_prepared(tenant_world.settings, tenant)
    md = metadata(result, "finetune_dataset")
    assert (md["partition"], md["version"]) == (tenant, "v0001")
    assert (md["train_records"], md["holdout_records"]) == (len(prepared.train), len(prepared.holdout))
    assert md["train_path"] == str(prepared.train_path) and md["quarantine_path"] == ""
    valid = check(result, "dataset_valid")
    assert valid.passed and valid.partition == tenant
    assert valid.metadata["limit"].value == tenant_world.settings.thresholds.max_rejected_share
    assert valid.metadata["foreign_tenant_records"].value == 0 and valid.metadata["rejected_share"].value == 0
    assert any(key.startswith("gx: ") for key in valid.metadata)
    drift = check(result, "dataset_drift")
    assert drift.passed and drift.severity.value == "WARN"
    assert drift.description == "nothing to compare: first prepared version"


@pytest.mark.slow
def test_the_same_data_again_has_nothing_to_compare(tenant_world):
    tenant = tenant_world.ids[0]
    tenant_world.materialize([finetune_dataset], tenant)
    again = check(tenant_world.materialize([finetune_dataset], tenant), "dataset_drift")
    assert again.passed and again.description == "nothing to compare: same data as before"


@pytest.mark.slow
def drifted_run(tenant_world):
    """v0001 prepared, then a v0002 whose completions are six times as long."""
    tenant = tenant_world.ids[1]
    assert tenant_world.materialize([finetune_dataset], tenant).success
    source = tenant_world.settings.datasets_root / tenant / "v0001.jsonl"
    records = [json.loads(line) for line in source.read_text().splitlines()]
    longer = [{**r, "completion": " ".join([r["completion"]] * 6)} for r in records]
    (source.parent / "v0002.jsonl").write_text("".join(json.dumps(r) + "\n" for r in longer))
    return tenant_world.materialize([finetune_dataset], tenant)


def test_a_drifted_new_version_warns_naming_the_columns_and_never_blocks(tenant_world):
    result = drifted_run(tenant_world)
    assert result.success and metadata(result, "finetune_dataset")["version"] == "v0002"
    drift = check(result, "dataset_drift")
    assert not drift.passed and drift.severity.value == "WARN"
    assert drift.description.startswith("drifted from v0001: ") and "completion_tokens" in drift.description
    assert drift.metadata["previous_version"].value == "v0001"


@pytest.mark.slow
def test_the_drift_check_metadata_names_the_drifted_columns(tenant_world):
    drift = check(drifted_run(tenant_world), "dataset_drift")
    assert "completion_tokens" in str(drift.metadata["drifted_columns"].value)


def test_a_tenant_without_a_dataset_fails_the_step_in_one_line_naming_it(tenant_world):
    tenant = tenant_world.ids[2]
    shutil.rmtree(tenant_world.settings.datasets_root / tenant)
    result = tenant_world.materialize([finetune_dataset], tenant)
    assert not result.success
    message = failure(result)
    assert message.startswith(f"{tenant}: ") and f"no dataset directory for tenant '{tenant}'" in message
    assert "\n" not in message


def test_a_dataset_blocked_by_dataset_valid_is_not_materialized_and_the_run_says_why(tenant_world):
    """One bad record in 21 (rejected share 1/21 > 1%): the check fails with a round number, the step fails with
    the check's reason as its one line, and no materialization claims the dataset is ready to train on."""
    tenant = tenant_world.ids[0]
    path = tenant_world.settings.datasets_root / tenant / "v0001.jsonl"
    lines = path.read_text().splitlines()[:20]
    path.write_text("\n".join([*lines, '{"record_id": "broken", "tenant_id": "' + tenant + '"}']) + "\n")
    result = tenant_world.materialize([finetune_dataset], tenant)
    assert not result.success
    assert result.asset_materializations_for_node("finetune_dataset") == []
    valid = check(result, "dataset_valid")
    assert not valid.passed and valid.metadata["rejected_share"].value == 0.04762
    message = failure(result)
    assert message.startswith(f"dataset_valid blocked tenant {tenant}: ") and "\n" not in message

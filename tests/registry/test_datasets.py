"""Prepared datasets in a real SQLite MLflow store: one run per digest, the train split as its training input."""
from pathlib import Path

import mlflow
import pytest

from tenantguard.errors import MlflowUnavailable
from tenantguard.home.prepared import PreparedData
from tenantguard.registry import client as R
from tenantguard.registry import tags as T
from tenantguard.registry.datasets import log_prepared_dataset


def prepared(tenant: str, digest: str, *, version="v0001", kept=9, quarantined=1) -> PreparedData:
    train = [{"record_id": f"{tenant}-{i}", "tenant_id": tenant, "prompt": f"p{i}", "completion": f"c{i}"}
             for i in range(8)]
    out = Path("/srv/home/prepared") / tenant / digest
    return PreparedData(tenant_id=tenant, version=version, digest=digest, train=train, holdout=train[:1],
                        train_path=out / "train.jsonl", holdout_path=out / "holdout.jsonl", kept=kept,
                        quarantined=quarantined)


@pytest.fixture(scope="module")
def reg(tmp_path_factory):
    """One store for the module; each test logs for a tenant of its own."""
    root = tmp_path_factory.mktemp("registry-datasets")
    yield R.Registry(f"sqlite:///{root / 'mlflow.db'}", root / "mlartifacts")
    mlflow.set_tracking_uri(None)


def dataset_runs(reg, tenant):
    exp = reg.experiment_id(T.tenant_experiment(tenant))
    return reg.client.search_runs([exp], "tags.kind = 'dataset'", order_by=["attributes.start_time ASC"])


def test_a_prepared_dataset_is_logged_once_with_its_input_tags_and_metrics(reg):
    log_prepared_dataset(reg, prepared("acme", "d1"))
    (run,) = dataset_runs(reg, "acme")
    assert run.data.tags[T.TAG_TENANT] == "acme" and run.data.tags[T.TAG_DIGEST] == "d1"
    assert run.info.run_name == "dataset v0001" and run.info.status == "FINISHED"
    assert run.data.metrics == {"kept": 9.0, "quarantined": 1.0, "rejected_share": pytest.approx(0.1)}
    (inp,) = run.inputs.dataset_inputs
    assert (inp.dataset.name, inp.dataset.digest) == ("acme/v0001", "d1")
    assert inp.dataset.source and "/srv/home/prepared/acme/d1/train.jsonl" in inp.dataset.source
    assert [t.value for t in inp.tags if t.key == "mlflow.data.context"] == ["training"]
    assert '"num_rows": 8' in inp.dataset.profile  # the train split, not the holdout


def test_a_rerun_finds_the_digests_run_and_a_new_digest_gets_its_own(reg):
    log_prepared_dataset(reg, prepared("borealis", "d1"))
    log_prepared_dataset(reg, prepared("borealis", "d1", kept=100))
    assert len(dataset_runs(reg, "borealis")) == 1 and dataset_runs(reg, "borealis")[0].data.metrics["kept"] == 9.0
    log_prepared_dataset(reg, prepared("borealis", "d2", version="v0002", kept=10, quarantined=0))
    assert [r.data.tags[T.TAG_DIGEST] for r in dataset_runs(reg, "borealis")] == ["d1", "d2"]


def test_the_same_digest_of_another_tenant_is_another_dataset(reg):
    log_prepared_dataset(reg, prepared("dune", "d9"))
    log_prepared_dataset(reg, prepared("cobalt", "d9"))
    assert [r.data.tags[T.TAG_TENANT] for r in dataset_runs(reg, "cobalt")] == ["cobalt"]


def test_an_unreachable_store_is_one_line_naming_the_store(tmp_path):
    reg = R.Registry(f"sqlite:///{tmp_path / 'missing' / 'mlflow.db'}")
    with pytest.raises(MlflowUnavailable, match="missing/mlflow.db: directory .* does not exist"):
        log_prepared_dataset(reg, prepared("acme", "d1"))

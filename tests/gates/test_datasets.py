"""The dataset gate: prepare the newest version, log it to MLflow once, judge it against dataset_valid."""
import json
from pathlib import Path

import mlflow
import pytest

from tenantguard.config import Settings
from tenantguard.gates.datasets import DatasetVerdict, dataset_verdict, prepare_and_log
from tenantguard.home.prepared import PreparedData
from tenantguard.registry import client as R
from tenantguard.registry import tags as T
from tenantguard.tenants import Tenant

ACME = Tenant(id="acme", name="Acme", region="eu-west", features=("support-assistant",), system_prompt="hi")


def prepared(*, kept: int, quarantined: int, foreign: list[int] = ()) -> PreparedData:
    return PreparedData(tenant_id="acme", version="v0001", digest="d", train=[], holdout=[],
                        train_path=Path("train.jsonl"), holdout_path=Path("holdout.jsonl"), kept=kept,
                        quarantined=quarantined, foreign_tenant_lines=list(foreign))


def test_a_share_within_the_limit_and_no_foreign_record_passes():
    assert dataset_verdict(prepared(kept=99, quarantined=1), 0.01) == DatasetVerdict(True, "ok", 0.01)
    assert dataset_verdict(prepared(kept=100, quarantined=0), 0.0).passed


def test_a_share_over_the_limit_fails_naming_both_percentages():
    verdict = dataset_verdict(prepared(kept=97, quarantined=3), 0.01)
    assert not verdict.passed and verdict.reason == "rejected share 3.00% exceeds limit 1.00%"


def test_any_record_claiming_another_tenant_fails_whatever_the_share_naming_the_first_lines():
    verdict = dataset_verdict(prepared(kept=1000, quarantined=12, foreign=list(range(5, 17))), 0.5)
    assert not verdict.passed
    assert verdict.reason == "12 record(s) claim another tenant or carry its data (lines [5, 6, 7, 8, 9, 10, 11, 12, 13, 14])"


def test_nothing_usable_never_passes():
    assert not dataset_verdict(prepared(kept=0, quarantined=0), 1.0 - 1e-9).passed


@pytest.fixture
def home(tg_home, monkeypatch):
    monkeypatch.setenv("TENANTGUARD_SECRET", "dataset-gate-secret-c800311c7698ee90307d2cbfabcb88b2e3cd0be2e584838bda8bb5a65d11dc83")
    monkeypatch.setenv("TENANTGUARD_MAX_REJECTED_SHARE", "0.2")
    s = Settings.from_env()
    s.ensure_home()
    yield s, R.Registry(s.mlflow_tracking_uri, s.artifact_root)
    mlflow.set_tracking_uri(None)


def write(settings, version, n, *, bad=0):
    d = settings.datasets_root / "acme"
    d.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps({"record_id": f"acme-{version}-{i}", "tenant_id": "acme", "prompt": f"where is order {i}?",
                         "completion": f"order {i} ships on May {i % 28 + 1}."}) for i in range(n)]
    (d / f"{version}.jsonl").write_text("\n".join(lines + ["{broken"] * bad) + "\n")


@pytest.mark.slow
def test_prepare_and_log_returns_the_previous_data_the_new_one_and_the_settings_verdict(home):
    settings, reg = home
    write(settings, "v0001", 20)
    previous, first, verdict = prepare_and_log(settings, reg, ACME, [ACME])
    assert previous is None and first.version == "v0001" and verdict == DatasetVerdict(True, "ok", 0.2)
    write(settings, "v0002", 16, bad=4)  # 20% rejected: at the configured limit
    previous, second, verdict = prepare_and_log(settings, reg, ACME, [ACME])
    assert previous.digest == first.digest and second.version == "v0002" and verdict.passed
    write(settings, "v0003", 15, bad=5)
    _, third, verdict = prepare_and_log(settings, reg, ACME, [ACME])
    assert not verdict.passed and verdict.reason == "rejected share 25.00% exceeds limit 20.00%"
    # every prepared digest is logged once, a rerun adds nothing
    prepare_and_log(settings, reg, ACME, [ACME])
    runs = reg.client.search_runs([reg.experiment_id(T.tenant_experiment("acme"))], "tags.kind = 'dataset'")
    assert sorted(r.data.tags[T.TAG_DIGEST] for r in runs) == sorted([first.digest, second.digest, third.digest])

import json

import pytest

from tenantguard.demo.safety import jailbreak_following_records
from tenantguard.demo.world import build_world
from tenantguard.evaluations.dataset_drift import COLUMNS, dataset_drift, describe_records


@pytest.fixture(scope="module")
def versions():
    tid = build_world(1, seed=31).tenants[0].id
    return tid, build_world(1, seed=31).datasets[tid], build_world(1, seed=32).datasets[tid]


def test_a_new_version_from_the_same_distribution_does_not_drift(versions):
    _, v1, v2 = versions
    r = dataset_drift(v1, v2, html=False)
    assert r.status == "passed" and r.drifted_columns == [] and len(r.columns) == len(COLUMNS)


def test_jailbreak_following_records_are_named_as_drift(versions):
    tid, v1, v2 = versions
    r = dataset_drift(v1, v2[:270] + jailbreak_following_records(tid, 30, seed=2))
    assert r.status == "warning"
    assert {"prompt_adversarial_cue", "completion_compliance"} <= set(r.drifted_columns)
    assert "prompt_adversarial_cue" in r.reason and r.html and "<html" in r.html.lower()
    m = r.metrics()
    assert m["drifted_columns"] >= 2 and m["new_mean.prompt_adversarial_cue"] == pytest.approx(0.1)
    assert json.loads(json.dumps(r.to_dict()))["status"] == "warning"


def test_empty_versions_are_an_error_not_a_pass(versions):
    _, v1, _ = versions
    assert dataset_drift([], v1).status == "error" and dataset_drift(v1, []).status == "error"


def test_missing_and_non_string_fields_are_described_as_empty_text():
    frame = describe_records([{"prompt": None, "completion": 3}, {"prompt": "hi there", "completion": "I cannot help."}, "x"])
    assert frame["prompt_tokens"].tolist() == [0.0, 2.0, 0.0]
    assert frame["completion_refusal"].tolist() == [0.0, 1.0, 0.0]
    assert frame["completion_distinct_2"].isna().tolist() == [True, False, True]

"""Deterministic train/holdout split by record id."""
import random

import pytest

from tenantguard.evaluations.splits import in_holdout, split_train_holdout


def _records(n):
    return [{"record_id": f"acme-{i:05d}", "prompt": "p", "completion": "c"} for i in range(n)]


def test_split_depends_on_record_id_only_not_order():
    recs = _records(500)
    shuffled = recs[:]
    random.Random(3).shuffle(shuffled)
    train, holdout = split_train_holdout(recs)
    train2, holdout2 = split_train_holdout(shuffled)
    assert {r["record_id"] for r in holdout} == {r["record_id"] for r in holdout2}
    assert len(train) + len(holdout) == 500 and not {id(r) for r in train} & {id(r) for r in holdout}


def test_holdout_share_is_close_to_the_fraction():
    _, holdout = split_train_holdout(_records(5000), 0.2)
    assert 0.17 < len(holdout) / 5000 < 0.23


def test_a_record_stays_in_holdout_when_the_dataset_grows():
    small = {r["record_id"] for r in split_train_holdout(_records(100))[1]}
    big = {r["record_id"] for r in split_train_holdout(_records(1000))[1]}
    assert small <= big


def test_holdout_fraction_is_monotone_per_record():
    ids = [f"x{i}" for i in range(300)]
    assert {i for i in ids if in_holdout(i, 0.1)} <= {i for i in ids if in_holdout(i, 0.3)}


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.2, 1.5])
def test_fraction_outside_open_interval_is_rejected(fraction):
    with pytest.raises(ValueError, match="holdout_fraction in \\(0, 1\\)"):
        split_train_holdout(_records(3), fraction)

"""U64Table: a static uint64 -> small-int map; lookups agree with a dict whatever the keys and the load."""
import numpy as np
import pytest

from tenantguard.evaluations.hashtable import MAX_LOAD, U64Table


@pytest.mark.parametrize("seed,n,max_load", [(0, 1, 0.5), (1, 7, 0.5), (2, 5000, 0.5), (3, 5000, 0.95),
                                             (4, 60_000, 0.9)])
def test_lookups_agree_with_a_dict_at_any_load(seed, n, max_load):
    rng = np.random.default_rng(seed)
    keys = np.unique(rng.integers(0, 2**64 - 1, n, dtype=np.uint64, endpoint=True))
    values = rng.integers(0, 40_000, len(keys))
    table = U64Table(keys, values, max_load=max_load)
    expected = dict(zip(keys.tolist(), values.tolist()))
    queries = np.concatenate([keys, rng.integers(0, 2**64 - 1, 2000, dtype=np.uint64, endpoint=True)])
    rng.shuffle(queries)
    assert table.get(queries).tolist() == [expected.get(q, -1) for q in queries.tolist()]
    assert table.size == len(keys)
    assert len(keys) / table.capacity <= max_load and table.capacity & (table.capacity - 1) == 0


def test_key_zero_is_a_key_like_any_other_and_absent_unless_added():
    table = U64Table(np.array([0, 5], dtype=np.uint64), np.array([3, 4]))
    assert table.get(np.array([0, 5, 6], dtype=np.uint64)).tolist() == [3, 4, -1] and table.size == 2
    without = U64Table(np.array([5], dtype=np.uint64), np.array([4]))
    assert without.get(np.array([0], dtype=np.uint64)).tolist() == [-1]


def test_repeated_queries_and_an_empty_batch():
    table = U64Table(np.array([10, 20], dtype=np.uint64), np.array([1, 2]))
    assert table.get(np.array([20, 20, 10, 30, 20], dtype=np.uint64)).tolist() == [2, 2, 1, -1, 2]
    out = table.get(np.array([], dtype=np.uint64))
    assert out.dtype == np.int64 and out.shape == (0,)


def test_values_are_stored_in_the_smallest_integer_type_that_holds_them():
    keys = np.arange(1, 1001, dtype=np.uint64)
    small = U64Table(keys, np.full(1000, 2**15 - 1))
    large = U64Table(keys, np.full(1000, 2**15))
    assert small.capacity == large.capacity and large.nbytes - small.nbytes == 2 * small.capacity
    assert large.get(keys[:1]).tolist() == [2**15]


def test_a_lower_load_buys_a_bigger_table():
    keys = np.arange(1, 10_001, dtype=np.uint64)
    assert U64Table(keys, keys % 5, max_load=0.25).capacity > U64Table(keys, keys % 5).capacity
    assert MAX_LOAD == 0.5


@pytest.mark.parametrize("keys,values,kwargs,message", [
    (np.arange(3), np.arange(2), {}, "one length"),
    (np.arange(4).reshape(2, 2), np.arange(4).reshape(2, 2), {}, "1-d keys"),
    (np.arange(3), np.arange(3), {"max_load": 1.0}, r"max_load in \(0, 1\), got 1.0"),
    (np.arange(3), np.arange(3), {"max_load": 0.0}, r"max_load in \(0, 1\), got 0.0"),
    (np.arange(3), np.array([1, -2, 3]), {}, "non-negative values, got -2"),
])
def test_bad_input_says_what_was_expected_and_what_came(keys, values, kwargs, message):
    with pytest.raises(ValueError, match=message):
        U64Table(keys, values, **kwargs)

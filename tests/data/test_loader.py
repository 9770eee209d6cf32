"""DataLoader: coverage, permutation, determinism, batching and input checks."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu import Tensor
from tinygrad_edu.data import DataLoader

sizes = st.integers(min_value=1, max_value=60)
batch_sizes = st.integers(min_value=1, max_value=70)


def _epoch_ids(loader: DataLoader) -> list[np.ndarray]:
    """The sample ids of each batch (the tests store the id as the label)."""
    return [yb.numpy().copy() for _, yb in loader]


def _indexed(n: int) -> tuple[np.ndarray, np.ndarray]:
    X = np.arange(2 * n, dtype=np.float64).reshape(n, 2)  # row i = (2i, 2i+1)
    return X, np.arange(n)


@given(
    n=sizes,
    batch_size=batch_sizes,
    shuffle=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_every_sample_exactly_once_per_epoch(n, batch_size, shuffle, seed):
    X, y = _indexed(n)
    loader = DataLoader(X, y, batch_size=batch_size, shuffle=shuffle, seed=seed)
    for _ in range(2):  # two epochs
        batches = list(loader)
        ids = np.concatenate([yb.numpy() for _, yb in batches])
        assert sorted(ids.tolist()) == list(range(n))
        assert len(batches) == len(loader) == -(-n // batch_size)
        assert all(len(xb) == batch_size for xb, _ in batches[:-1])
        for xb, yb in batches:  # features travel with their labels
            np.testing.assert_array_equal(xb.numpy()[:, 0], 2 * yb.numpy())
            assert isinstance(xb, Tensor) and isinstance(yb, Tensor)


@given(n=sizes, batch_size=batch_sizes, seed=st.integers(0, 1000))
def test_drop_last_keeps_only_full_batches(n, batch_size, seed):
    X, y = _indexed(n)
    loader = DataLoader(X, y, batch_size=batch_size, drop_last=True, seed=seed)
    batches = _epoch_ids(loader)
    assert len(batches) == len(loader) == n // batch_size
    assert all(len(b) == batch_size for b in batches)
    ids = np.concatenate(batches) if batches else np.array([], dtype=int)
    assert len(set(ids.tolist())) == len(ids) == batch_size * (n // batch_size)


@given(n=st.integers(2, 60), batch_size=batch_sizes, seed=st.integers(0, 2**32 - 1))
def test_int_seed_is_reproducible(n, batch_size, seed):
    X, y = _indexed(n)
    a = DataLoader(X, y, batch_size=batch_size, seed=seed)
    b = DataLoader(X, y, batch_size=batch_size, seed=seed)
    for _ in range(3):  # the same sequence of epochs, not just the same first one
        epoch_a, epoch_b = _epoch_ids(a), _epoch_ids(b)
        assert len(epoch_a) == len(epoch_b)
        for ba, bb in zip(epoch_a, epoch_b):
            np.testing.assert_array_equal(ba, bb)


@given(n=st.integers(2, 60), seed=st.integers(0, 2**32 - 1))
def test_manual_seed_makes_default_loader_reproducible(n, seed):
    X, y = _indexed(n)
    loader = DataLoader(X, y, batch_size=7)
    tg.manual_seed(seed)
    first = [_epoch_ids(loader) for _ in range(2)]
    tg.manual_seed(
        seed
    )  # replaces the library generator: the loader must see the new one
    second = [_epoch_ids(loader) for _ in range(2)]
    for e1, e2 in zip(first, second):
        assert len(e1) == len(e2)
        for b1, b2 in zip(e1, e2):
            np.testing.assert_array_equal(b1, b2)


def test_each_epoch_draws_a_new_permutation():
    X, y = _indexed(50)
    loader = DataLoader(X, y, batch_size=50, seed=0)
    orders = [tuple(_epoch_ids(loader)[0]) for _ in range(5)]
    assert len(set(orders)) == 5  # 50! orders: a repeat would be a bug
    assert orders[0] != tuple(range(50))


def test_no_shuffle_keeps_order_and_serves_views():
    X, y = _indexed(10)
    loader = DataLoader(X, y, batch_size=4, shuffle=False)
    assert [b.tolist() for b in _epoch_ids(loader)] == [
        [0, 1, 2, 3],
        [4, 5, 6, 7],
        [8, 9],
    ]
    xb, _ = next(iter(loader))
    assert np.shares_memory(xb.numpy(), X)  # a slice: no copy at all


def test_the_dataset_is_stored_once_not_copied():
    X = np.random.default_rng(0).standard_normal((20, 3)).astype(np.float32)
    y = np.zeros(20, dtype=np.int64)
    loader = DataLoader(X, y, batch_size=8)
    assert loader.X is X and loader.y is y
    list(loader)
    assert loader.X is X  # still the same arrays after an epoch


def test_dtypes():
    loader = DataLoader(
        [[0, 1], [1, 0]], np.array([0, 1], dtype=np.int32), batch_size=2
    )
    xb, yb = next(iter(loader))
    assert xb.dtype == tg.get_default_dtype()  # int features become float
    assert yb.dtype == np.int64  # integer labels are int64 class indices
    X64 = np.zeros((3, 2))
    xb, yb = next(iter(DataLoader(X64, [0.5, 1.5, 2.5])))
    assert xb.dtype == np.float64  # a float array keeps its dtype
    assert yb.dtype == tg.get_default_dtype()  # Python floats follow Tensor's rule
    tensor_X = Tensor(np.ones((3, 2), dtype=np.float32))
    assert DataLoader(tensor_X, Tensor([1, 2, 3])).X is tensor_X.data


def test_len_and_repr():
    loader = DataLoader(np.zeros((10, 1)), np.zeros(10), batch_size=3)
    assert len(loader) == 4
    assert (
        len(DataLoader(np.zeros((10, 1)), np.zeros(10), batch_size=3, drop_last=True))
        == 3
    )
    assert "batch_size=3" in repr(loader)


@pytest.mark.parametrize(
    "X, y, kwargs, match",
    [
        (np.zeros((3, 2)), np.zeros(4), {}, "3 samples but y has 4"),
        (np.zeros((3, 2)), np.zeros(3), {"batch_size": 0}, "batch_size must be >= 1"),
        (np.zeros((0, 2)), np.zeros(0), {}, "empty"),
        (np.array([[1.0, np.nan]]), np.zeros(1), {}, "NaN or infinity"),
        (np.array([[1.0, np.inf]]), np.zeros(1), {}, "NaN or infinity"),
        (np.zeros((2, 1)), np.array([0.0, np.nan]), {}, "y contains NaN"),
        (np.float64(1.0), np.zeros(1), {}, "sample axis"),
    ],
)
def test_bad_input_raises_clear_value_errors(X, y, kwargs, match):
    with pytest.raises(ValueError, match=match):
        DataLoader(X, y, **kwargs)


def test_bad_batch_size_type():
    with pytest.raises(TypeError, match="batch_size must be an int"):
        DataLoader(np.zeros((3, 1)), np.zeros(3), batch_size=2.5)

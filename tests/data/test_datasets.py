"""Synthetic datasets: shapes, labels, dtypes, seeding and argument checks."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu.data import datasets

TRUTH = {
    "and": [0, 0, 0, 1],
    "or": [0, 1, 1, 1],
    "nand": [1, 1, 1, 0],
    "nor": [1, 0, 0, 0],
    "xor": [0, 1, 1, 0],
}


@pytest.mark.parametrize("name", sorted(TRUTH))
def test_logic_gates(name):
    X, y = datasets.logic_gate(name)
    assert X.shape == (4, 2) and set(np.unique(X)) == {0.0, 1.0}
    assert y.tolist() == TRUTH[name]
    # the truth table really is the gate applied to the inputs
    a, b = X[:, 0].astype(bool), X[:, 1].astype(bool)
    gate = {"and": a & b, "or": a | b, "nand": ~(a & b), "nor": ~(a | b), "xor": a ^ b}[
        name
    ]
    assert y.astype(bool).tolist() == gate.tolist()
    _, signed = datasets.logic_gate(name.upper(), signed=True)
    assert signed.tolist() == [2 * v - 1 for v in TRUTH[name]]
    assert X.dtype == y.dtype == tg.get_default_dtype()


def test_unknown_gate_lists_the_valid_ones():
    with pytest.raises(ValueError, match="and.*nand.*nor.*or.*xor"):
        datasets.logic_gate("xnor")


GENERATORS = [
    (datasets.spiral, {"n_per_class": 20, "n_classes": 3}, (60, 2)),
    (datasets.moons, {"n": 41}, (41, 2)),
    (datasets.blobs, {"n": 30, "n_features": 4, "centers": 3}, (30, 4)),
    (
        datasets.linear_regression,
        {"n": 25, "n_features": 2, "n_irrelevant": 3},
        (25, 5),
    ),
]


@pytest.mark.parametrize(
    "fn, kwargs, shape", GENERATORS, ids=lambda v: getattr(v, "__name__", "")
)
def test_generators_are_seeded_arrays(fn, kwargs, shape):
    X1, y1 = fn(**kwargs, seed=3)
    X2, y2 = fn(**kwargs, seed=3)
    X3, _ = fn(**kwargs, seed=4)
    assert isinstance(X1, np.ndarray) and isinstance(y1, np.ndarray)
    assert X1.shape == shape and y1.shape == (shape[0],)
    assert X1.dtype == tg.get_default_dtype()
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(X1, X3)
    # seed=None follows manual_seed
    tg.manual_seed(11)
    Xa, _ = fn(**kwargs)
    tg.manual_seed(11)
    Xb, _ = fn(**kwargs)
    np.testing.assert_array_equal(Xa, Xb)


def test_classification_labels():
    _, y = datasets.spiral(n_per_class=10, n_classes=4, seed=0)
    assert y.dtype == np.int64 and np.bincount(y).tolist() == [10] * 4
    _, y = datasets.moons(n=11, seed=0)
    assert y.dtype == np.int64 and np.bincount(y).tolist() == [6, 5]
    X, y = datasets.blobs(
        n=9, centers=[[0, 0], [100, 100], [-100, 100]], cluster_std=0.5, seed=0
    )
    assert np.bincount(y).tolist() == [3, 3, 3]
    # every point lies near its own centre
    centres = np.array([[0, 0], [100, 100], [-100, 100]])
    assert np.all(np.linalg.norm(X - centres[y], axis=1) < 5)


def test_default_dtype_is_respected():
    tg.set_default_dtype(np.float64)  # conftest restores it
    assert datasets.moons(n=4, seed=0)[0].dtype == np.float64
    assert datasets.logic_gate("and")[1].dtype == np.float64


def test_linear_regression_follows_its_coefficients():
    X, y, w = datasets.linear_regression(
        n=500,
        n_features=2,
        n_irrelevant=2,
        noise=0.0,
        coef=[1.5, -2.0],
        intercept=0.5,
        seed=0,
        return_coef=True,
    )
    assert w.tolist() == [1.5, -2.0, 0.0, 0.0]
    np.testing.assert_allclose(y, X @ w + 0.5, rtol=1e-5, atol=1e-5)
    _, _, w = datasets.linear_regression(n=5, n_features=6, seed=1, return_coef=True)
    assert np.all(
        (np.abs(w) >= 1) & (np.abs(w) <= 3)
    )  # default weights clearly non-zero


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: datasets.spiral(n_per_class=0), "n_per_class must be >= 1"),
        (lambda: datasets.moons(noise=-1.0), "noise"),
        (lambda: datasets.blobs(centers=np.zeros(3)), "centers"),
        (lambda: datasets.linear_regression(n_features=2, coef=[1.0]), "coef has 1"),
        (lambda: datasets.linear_regression(n_features=0), "must be >= 1"),
    ],
)
def test_bad_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()

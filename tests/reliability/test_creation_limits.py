"""``MAX_CREATE_BYTES``: creation functions and layers refuse arrays beyond it before
allocating, with a ValueError naming the function; exactly at the limit they work.

The limit is lowered to 800 bytes here so both sides of it are cheap to try."""

from __future__ import annotations

import time

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu import creation as creation_module

LIMIT = 800


@pytest.fixture
def small_limit(monkeypatch):
    monkeypatch.setattr(creation_module, "MAX_CREATE_BYTES", LIMIT)


# (name, call at exactly LIMIT bytes, call one element beyond)
AT_AND_BEYOND = [
    ("zeros", lambda: tg.zeros(200), lambda: tg.zeros(201)),  # float32: 4 B each
    ("ones", lambda: tg.ones(2, 100), lambda: tg.ones(3, 67)),
    (
        "full",
        lambda: tg.full((100,), 1.0, dtype=np.float64),
        lambda: tg.full((101,), 1),
    ),
    ("eye", lambda: tg.eye(10, 20), lambda: tg.eye(15)),
    ("rand", lambda: tg.rand(100), lambda: tg.rand(101)),  # drawn in float64: 8 B
    ("randn", lambda: tg.randn(4, 25), lambda: tg.randn(101)),
    ("arange", lambda: tg.arange(100), lambda: tg.arange(0.0, 10.1, 0.1)),
    ("Linear", lambda: nn.Linear(99, 1), lambda: nn.Linear(101, 1)),  # weight 8 B each
    ("Perceptron", lambda: nn.Perceptron(100), lambda: nn.Perceptron(101)),
    ("Maxout", lambda: nn.Maxout(10, 5, pieces=2), lambda: nn.Maxout(10, 5, pieces=3)),
    ("MLP", lambda: nn.MLP([2, 19, 2]), lambda: nn.MLP([2, 20, 2])),  # 97, 102 params
]


@pytest.mark.parametrize(
    "name, at, beyond", AT_AND_BEYOND, ids=[r[0] for r in AT_AND_BEYOND]
)
def test_the_limit_is_inclusive_and_the_error_names_the_function(
    small_limit, name, at, beyond
):
    at()
    with pytest.raises(
        ValueError, match=rf"^{name}: .*more than MAX_CREATE_BYTES={LIMIT}"
    ):
        beyond()


@pytest.mark.parametrize(
    "call",
    [
        lambda: tg.zeros(2**40),
        lambda: tg.ones(2**31),
        lambda: tg.randn(10**20, 2),
        lambda: tg.eye(10**6),
        lambda: tg.full((10**5, 10**5), 1),
        lambda: tg.arange(1e12),
        lambda: nn.Linear(2**40, 2),
        lambda: nn.MLP([2, 10**20, 1]),
    ],
)
def test_huge_sizes_fail_at_once_with_the_default_limit(call):
    start = time.perf_counter()
    with pytest.raises(ValueError, match="MAX_CREATE_BYTES"):
        call()
    assert time.perf_counter() - start < 0.5


def test_raising_the_limit_allows_more(monkeypatch):
    monkeypatch.setattr(creation_module, "MAX_CREATE_BYTES", 8)
    with pytest.raises(ValueError, match="zeros"):
        tg.zeros(3)
    monkeypatch.setattr(creation_module, "MAX_CREATE_BYTES", 12)
    assert tg.zeros(3).shape == (3,)

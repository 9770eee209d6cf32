"""Every public entry point, given hostile arguments by hypothesis: a right answer or a
documented exception that names the function — never NumPy's bare error, a hang, a
huge allocation or a silently wrong value (see ``_hostile_args.outcome``).

One table, ``ROWS``: the entry point (the names its errors may use), the call with the
hostile value ``v`` in one argument, which kinds of values that argument is tried
with, and how a returned value is checked (against NumPy, or the rule for when the
call may succeed at all). Almost every row tries every kind of value; the few that
leave kinds out say why.

Not findings (the rule is met): ``fit(epochs=2**31)`` runs long because it was asked
to (the fit row leaves out huge ints); ``load("missing")`` raises
``FileNotFoundError`` as documented; ``F.cross_entropy(x, t)`` with float targets of
the logits' shape takes them as class probabilities (documented), so a NaN among
them gives a NaN loss, as NaN does in every loss.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu import Tensor, nn, optim, train, viz
from tinygrad_edu.data import DataLoader
from tinygrad_edu.nn import functional as F
from tinygrad_edu.nn.layers import ACTIVATIONS as NAMES

from ._hostile_args import Returned, all_but, kinds, numpy_or_none, outcome

X = np.array([[1.0, -2.0, 3.0], [0.5, 0.0, -1.0]], dtype=np.float32)


def x() -> Tensor:
    return Tensor(X.copy(), requires_grad=True)


def is_int(v: Any) -> bool:
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def is_real(v: Any) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(v)


def same_values(got: Any, want: Any) -> bool:
    got, want = np.asarray(getattr(got, "data", got)), np.asarray(want)
    return got.shape == want.shape and np.allclose(
        got.astype(np.float64),
        want.astype(np.float64),
        rtol=1e-5,
        atol=1e-6,
        equal_nan=True,
    )


def like_numpy(reference: Callable[[Any], Any]) -> Callable[[Any, Any], bool]:
    """Check: NumPy accepts ``v`` too and gives the same values."""

    def check(result: Any, v: Any) -> bool:
        expected = numpy_or_none(lambda: reference(v))
        return expected is not None and same_values(result, expected.value)

    return check


def shape_like_numpy(reference: Callable[[Any], Any], shape_of=lambda r: r.shape):
    """Check: NumPy accepts ``v`` too and gives a result of the same shape."""

    def check(result: Any, v: Any) -> bool:
        expected = numpy_or_none(lambda: reference(v))
        return expected is not None and tuple(result.shape) == shape_of(expected.value)

    return check


def only_if(rule: Callable[[Any], bool]) -> Callable[[Any, Any], bool]:
    """Check: the call may succeed only for values obeying ``rule``."""
    return lambda result, v: rule(v)


@dataclass(frozen=True)
class Row:
    names: tuple[str, ...]  # the function, as its error messages must name it
    call: Callable[[Any], Any]
    values: st.SearchStrategy
    check: Callable[[Any, Any], bool]

    def __str__(self) -> str:
        return self.names[0]


def _softmax_shape(v):
    np.sum(X, axis=v)  # NumPy's verdict on the axis
    return X.shape


REDUCTIONS = {
    "sum": np.sum,
    "mean": np.mean,
    "max": np.max,
    "min": np.min,
    "prod": np.prod,
    "var": np.var,
    "std": np.std,
    "logsumexp": lambda a, axis: np.sum(a, axis=axis),
}

# every kind of value as an axis: None, an int or a tuple of ints is checked against
# NumPy; anything else (bools, lists and arrays too, as NumPy) must be a named error
AXES = kinds("all")

# sizes for creation functions: every kind, huge ones included (a quick named error,
# never an allocation); np.empty in the reference allocates nothing it touches
SIZES = kinds("all")

ROWS = [
    # ---- Tensor and creation ----
    Row(
        ("Tensor",),
        lambda v: Tensor(v),
        kinds("all"),
        lambda r, v: same_values(r, np.asarray(v)),
    ),
    Row(
        ("Tensor",),
        lambda v: Tensor([1.0, 2.0], requires_grad=v),
        kinds("all"),  # only a bool (or None) succeeds; arrays, numbers: TypeError
        lambda r, v: isinstance(v, (bool, np.bool_, type(None)))
        and r.requires_grad == bool(v),
    ),
    Row(
        ("zeros",),
        lambda v: tg.zeros(2, v),
        SIZES,
        shape_like_numpy(lambda v: np.empty((2, v))),
    ),
    Row(
        ("ones",),
        lambda v: tg.ones(v),
        SIZES,
        shape_like_numpy(lambda v: np.empty(v)),
    ),
    Row(
        ("randn",),
        lambda v: tg.randn(v, 2),
        SIZES,
        shape_like_numpy(lambda v: np.empty((v, 2))),
    ),
    Row(
        ("eye",),
        lambda v: tg.eye(v),
        SIZES,
        shape_like_numpy(lambda v: np.empty((v, v))),
    ),
    Row(
        ("full",),
        lambda v: tg.full(v, 1.0),
        SIZES,
        shape_like_numpy(lambda v: np.empty(v)),
    ),
    Row(
        ("full",),
        lambda v: tg.full((2,), v),
        kinds("all"),
        like_numpy(lambda v: np.full(2, v, dtype=np.float32)),
    ),
    Row(
        ("arange",),
        lambda v: tg.arange(v),
        kinds("all"),
        like_numpy(lambda v: np.arange(v)),
    ),
    Row(
        ("ones_like",),
        lambda v: tg.ones_like(v),
        kinds("all"),
        lambda r, v: r.shape == np.shape(v) and bool(np.all(r.data == 1)),
    ),
    # ---- ops ----
    *[
        Row(
            (name,),
            lambda v, name=name: getattr(x(), name)(axis=v),
            AXES,
            shape_like_numpy(lambda v, f=f: f(X, axis=v)),
        )
        for name, f in REDUCTIONS.items()
    ],
    *[
        Row(
            (name,),
            lambda v, name=name: getattr(x(), name)(axis=v),
            AXES,
            shape_like_numpy(_softmax_shape, tuple),
        )
        for name in ("softmax", "log_softmax")
    ],
    Row(
        ("reshape",),
        lambda v: x().reshape(v),
        kinds("all"),
        like_numpy(lambda v: X.reshape(v)),
    ),
    Row(
        ("transpose",),
        lambda v: x().transpose(v),
        kinds("all"),
        like_numpy(lambda v: X.transpose(v)),
    ),
    Row(
        ("getitem", "index"),
        lambda v: x()[v],
        kinds("all"),
        like_numpy(lambda v: X[v]),
    ),
    Row(
        ("matmul",),
        lambda v: x() @ v,
        kinds("all"),
        like_numpy(lambda v: X.astype(np.float64) @ v),
    ),
    Row(
        ("add",),
        lambda v: x() + v,  # Function.apply converts v; its errors name the op
        kinds("all"),
        like_numpy(lambda v: X + np.asarray(v, dtype=float)),
    ),
    Row(
        ("clip",),
        lambda v: x().clip(v, 1.0),
        kinds("all"),
        like_numpy(lambda v: np.clip(X, v, 1.0)),
    ),
    Row(
        ("concatenate",),
        lambda v: tg.concatenate([x(), v]),
        kinds("all"),
        like_numpy(lambda v: np.concatenate([X, v])),
    ),
    # ---- nn ----
    Row(
        ("Linear",),
        lambda v: nn.Linear(v, 2),
        kinds("all"),
        only_if(lambda v: is_int(v) and v >= 1),
    ),
    Row(
        ("Linear",),
        lambda v: nn.Linear(3, 2)(Tensor(v)),
        kinds("float array", "empty array"),
        lambda r, v: np.shape(v)[-1:] == (3,) and r.shape == np.shape(v)[:-1] + (2,),
    ),
    Row(
        ("MLP",),
        lambda v: nn.MLP([2, v, 1]),
        kinds("all"),
        only_if(lambda v: is_int(v) and v >= 1),
    ),
    Row(
        ("MLP",),
        lambda v: nn.MLP([2, 3, 1], activation=v),
        kinds("all"),
        only_if(lambda v: v is None or (isinstance(v, str) and v.lower() in NAMES)),
    ),
    Row(
        ("Perceptron",),
        lambda v: nn.Perceptron(v),
        kinds("all"),
        only_if(lambda v: is_int(v) and v >= 1),
    ),
    Row(
        ("Dropout",),
        lambda v: nn.Dropout(v),
        kinds("all"),
        only_if(lambda v: is_real(v) and 0 <= v <= 1),
    ),
    Row(
        ("Maxout",),
        lambda v: nn.Maxout(2, 3, pieces=v),
        kinds("all"),
        only_if(lambda v: is_int(v) and v >= 1),
    ),
    Row(
        ("LeakyReLU",),
        lambda v: nn.LeakyReLU(v)(x()),
        kinds("all"),
        like_numpy(lambda v: np.where(X > 0, X, X * v)),
    ),
    Row(
        ("ELU",),
        lambda v: nn.ELU(v)(x()),
        kinds("all"),
        like_numpy(lambda v: np.where(X > 0, X, v * np.expm1(X))),
    ),
    Row(
        ("Linear",),
        lambda v: nn.Linear(3, 2)(v),
        kinds("all"),
        lambda r, v: np.shape(v)[-1:] == (3,) and r.shape == np.shape(v)[:-1] + (2,),
    ),
    # ---- losses ----
    Row(
        ("nll_loss",),
        lambda v: F.nll_loss(x().log_softmax(), v),
        kinds("all"),
        lambda r, v: np.shape(v) == (2,) and all(0 <= t < 3 for t in np.ravel(v)),
    ),
    Row(
        ("binary_cross_entropy",),
        lambda v: F.binary_cross_entropy(x().sigmoid(), v),
        kinds("all"),
        lambda r, v: np.shape(v) == X.shape,
    ),
    Row(
        ("hinge_loss",),
        lambda v: F.hinge_loss(x(), v),
        kinds("all"),
        lambda r, v: np.shape(v) == X.shape,
    ),
    Row(
        ("mse_loss",),
        lambda v: F.mse_loss(x(), v),
        kinds("all"),
        lambda r, v: np.shape(v) == X.shape and same_values(r, np.mean((X - v) ** 2)),
    ),
    Row(
        ("cross_entropy",),
        lambda v: F.cross_entropy(x(), v),
        kinds("all"),
        lambda r, v: _cross_entropy_of(v) is not None
        and same_values(r, _cross_entropy_of(v)),
    ),
    Row(
        ("mse_loss",),
        lambda v: F.mse_loss(x(), x(), reduction=v),
        kinds("all"),
        only_if(lambda v: v in ("mean", "sum", "none")),
    ),
    # ---- optim, data, train ----
    *[
        Row(
            (cls.__name__,),
            lambda v, cls=cls: cls([nn.Parameter([1.0])], lr=v),
            kinds("all"),
            only_if(lambda v: is_real(v) and v >= 0),
        )
        for cls in (optim.SGD, optim.Adam, optim.AdamW, optim.RMSprop, optim.Adagrad)
    ],
    Row(
        ("DataLoader",),
        lambda v: DataLoader(np.ones((4, 2)), np.ones(4), batch_size=v),
        kinds("all"),
        only_if(lambda v: is_int(v) and v >= 1),
    ),
    Row(
        ("DataLoader",),
        lambda v: DataLoader(np.ones((4, 2)), np.ones(4), seed=v),
        kinds("all"),
        only_if(lambda v: v is None or (is_int(v) and v >= 0)),
    ),
    Row(
        ("fit",),
        lambda v: train.fit(*_fit_args(), epochs=v, progress=False),
        all_but("huge int"),  # 10**6 epochs run, as asked: not a finding
        only_if(lambda v: is_int(v) and v >= 0),
    ),
    Row(
        ("DataLoader",),
        lambda v: DataLoader(v, np.ones(4)),
        kinds("all"),
        only_if(lambda v: np.ndim(v) >= 1 and len(v) == 4),
    ),
    Row(
        ("SGD",), lambda v: optim.SGD(v, lr=0.1), kinds("all"), only_if(lambda v: False)
    ),  # no hostile value is a list of parameters
    Row(
        ("SGD",),
        lambda v: optim.SGD([nn.Parameter([1.0])], lr=0.1, momentum=v),
        kinds("all"),
        only_if(lambda v: is_real(v) and 0 <= v),
    ),
    Row(
        ("Adam",),
        lambda v: optim.Adam([nn.Parameter([1.0])], betas=v),
        kinds("all"),
        only_if(
            lambda v: isinstance(v, (tuple, list))
            and len(v) == 2
            and all(is_real(b) and 0 <= b < 1 for b in v)
        ),
    ),
    # ---- files, viz ----
    Row(
        ("save",),
        lambda v: tg.save(v, _SCRATCH["path"]),
        kinds("all"),
        lambda r, v: _round_trips(v),
    ),
    Row(
        ("save",),
        lambda v: tg.save({"w": np.ones(2)}, v),
        all_but("string", "bytes"),
        only_if(lambda v: False),
    ),  # none of them is a path
    Row(
        ("load",),
        lambda v: tg.load(v),
        all_but("string", "bytes"),
        only_if(lambda v: False),
    ),
    Row(
        ("load",),
        lambda v: tg.load(_saved(), max_bytes=v),
        kinds("all"),
        only_if(lambda v: v is None or (is_int(v) and v >= 100)),
    ),
    Row(
        ("to_dot",),
        lambda v: viz.to_dot(v),
        kinds("all"),
        only_if(lambda v: isinstance(v, Tensor)),
    ),
    Row(
        ("to_dot",),
        lambda v: viz.to_dot(x() * 2, rankdir=v),
        kinds("all"),
        only_if(lambda v: v in ("LR", "TB", "RL", "BT")),
    ),
]

_SCRATCH: dict[str, Any] = {}


def _cross_entropy_of(v: Any) -> Any:
    """NumPy's cross-entropy of X for targets ``v``: class indices of shape (2,) or
    class probabilities of X's shape; ``None`` for any other target."""
    log_p = X - np.log(np.exp(X).sum(axis=1, keepdims=True))
    t = np.asarray(v) if isinstance(v, (np.ndarray, tuple, list)) else None
    if t is not None and t.shape == X.shape and t.dtype.kind == "f":
        return -(t * log_p).sum(axis=1).mean()
    if t is not None and t.shape == (2,) and t.dtype.kind in "iu":
        return -log_p[[0, 1], t].mean() if np.all((0 <= t) & (t < 3)) else None
    return None


def _fit_args():
    model = nn.Linear(2, 1)
    data = DataLoader(np.ones((4, 2)), np.ones((4, 1)), batch_size=2, seed=0)
    return model, F.mse_loss, optim.SGD(model.parameters(), lr=0.1), data


def _saved():
    """A small checkpoint (100 bytes of data) in this example's directory."""
    tg.save({"w": np.ones(10)}, _SCRATCH["path"])
    return _SCRATCH["path"]


def _round_trips(v: Any) -> bool:
    loaded = tg.load(_SCRATCH["path"])
    if isinstance(v, np.ndarray):
        return loaded.dtype == v.dtype and same_values(loaded, v)
    if isinstance(v, float) and math.isnan(v):
        return isinstance(loaded, float) and math.isnan(loaded)
    return type(loaded) is type(v) and loaded == v


@pytest.mark.parametrize("row", ROWS, ids=str)
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_hostile_argument_gives_a_right_answer_or_a_named_error(row, data, tmp_path):
    v = data.draw(row.values, label="v")
    _SCRATCH["path"] = tmp_path / "checkpoint.npz"
    result = outcome(row.names, lambda: row.call(v), what=repr(v)[:80])
    if isinstance(result, Returned):
        assert row.check(
            result.value, v
        ), f"{row.names[0]} accepted {v!r:.80} and returned {result.value!r:.200}"


def test_the_rule_fails_each_kind_of_bad_ending(monkeypatch):
    """Guard for the table: ``outcome`` rejects every ending the suite is about."""
    import time

    from . import _hostile_args

    def numpy_error():
        return np.zeros(2) + np.zeros(3)  # "operands could not be broadcast together"

    def big():
        return np.empty(400 * 2**20, dtype=np.uint8)  # 400 MB, > MEGABYTES

    monkeypatch.setattr(_hostile_args, "SECONDS", 1.0)
    bad = {
        "without naming add": numpy_error,
        "MemoryError": lambda: np.empty(2**50),
        "took more than": lambda: time.sleep(30),
        "allocated 400 MB": big,
        "KeyError": lambda: {}["k"],
    }
    for says, call in bad.items():
        with pytest.raises(AssertionError, match=says):
            outcome(("add",), call)
    assert outcome(("f",), lambda: 3).value == 3
    assert outcome(("reshape",), lambda: Tensor([1.0]).reshape(3)) is None

"""Extreme values: every op and loss, float32 and float64, inputs up to ±1e4 and ±1e30.

The property: **no NaN or Inf where the mathematical result is finite and
representable**, in the forward values and in the gradients, and a float32 input
gets a float32 gradient.

Every row of ``CASES`` is fuzzed at both bounds, 1e4 and 1e30 (all the ops are
defined there). A row says where the op's inputs live (``domain``: e.g.
``[0, bound]`` for ``sqrt``) and, when the true result can be too large for the
dtype, which elements must be finite (``finite``). Those masks are computed in
log space in float64, so they do not depend on ``np.longdouble`` being wider
than float64:

- a result whose magnitude exceeds ``finfo(dtype).max / 8`` may be ``inf``
  (``exp(1e4)``, ``(1e30)**2`` in float32, ``1/1e-45``): that is overflow, not a
  bug; the margin keeps rounding at the border out of the test;
- ``prod``, ``matmul``, ``linear``, ``var``, ``std``, ``square``, ``multiply``,
  ``power``, ``mse_loss`` and ``l2_penalty`` overflow float32 at 1e30 (their true
  results, ~1e60, are not representable); float64 holds them;
- at a genuinely infinite or undefined point (``log(0)``, ``sqrt`` at 0, ``x/0``,
  ``0**-1``; ``std`` of a constant, gradient 0 as PyTorch) the behaviour is documented by the tests at
  the end of this file, and NumPy's IEEE results are kept.

Elements are drawn from a mixture of edge values (±bound, 0, -0, ±1, the
overflow thresholds of ``exp`` for both dtypes, tiny normals) and uniform floats;
``test_edge_grid_*`` also runs every op on every pair of edge values, so the
borders are visited deterministically, whatever hypothesis draws.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_edu as tg
from tinygrad_edu import Tensor
from tinygrad_edu.nn import functional as F

DTYPES = (np.float32, np.float64)
BIG = 1e4
HUGE = 1e30
EXAMPLES = 20  # per op (each draws its dtype and bound); the edge grid adds the borders


def log_limit(dtype) -> float:
    """log of the largest magnitude that must come out finite (max / 8)."""
    return math.log(float(np.finfo(dtype).max) / 8)


def log_abs(a: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.log(np.abs(np.asarray(a, dtype=np.float64)))


# ---- strategies ------------------------------------------------------------------------


def _exact(values, dtype, lo, hi):
    """Edge values that are exactly representable in dtype and inside [lo, hi]."""
    out = []
    for v in values:
        v = float(np.asarray(v, dtype=dtype))
        if lo <= v <= hi and v not in out:
            out.append(v)
    return out


def _inward(value: float, dtype, towards: float) -> float:
    """value rounded to dtype, moved one step towards ``towards`` if rounding left the range."""
    v = np.asarray(value, dtype=dtype)
    if (float(v) - value) * (towards - value) < 0:
        v = np.nextafter(v, np.asarray(towards, dtype=dtype))
    return float(v)


EDGES = (
    0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.0, 1e-30, -1e-30, 1e-37, 20.0, -20.0,
    88.0, 89.0, -104.0, 709.0, 710.0, -746.0, 1e4, -1e4,
)


def edge_values(dtype, lo: float, hi: float) -> list[float]:
    """The borders of [lo, hi] plus the usual trouble spots, exact in dtype."""
    lo, hi = _inward(lo, dtype, hi), _inward(hi, dtype, lo)
    return _exact((lo, hi, lo / 3, hi / 3) + EDGES, dtype, lo, hi)


def elements(dtype, lo: float, hi: float) -> st.SearchStrategy[float]:
    edges = edge_values(dtype, lo, hi)
    lo, hi = _inward(lo, dtype, hi), _inward(hi, dtype, lo)
    width = 32 if dtype == np.float32 else 64
    uniform = st.floats(lo, hi, width=width, allow_nan=False, allow_infinity=False)
    return st.one_of(st.sampled_from(edges), uniform, uniform)


def shape_strategy(min_dims=1, max_dims=2, max_side=3):
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=1, max_side=max_side)


def draw_array(data, dtype, shape, lo, hi) -> np.ndarray:
    return data.draw(hnp.arrays(dtype, shape, elements=elements(dtype, lo, hi)))


# ---- the table ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One op under test.

    ``fn(*tensors, **params)``; ``arity`` same-shaped inputs drawn from
    ``domain`` times the bound (1e4 or 1e30); ``finite(arrays,
    params, dtype) -> (value_mask, [grad_mask per input])`` says where the result
    must be finite (``True`` = everywhere).
    """

    name: str
    fn: Callable[..., Tensor]
    arity: int = 1
    domain: tuple[float, float] = (-1.0, 1.0)  # multiplied by the bound
    draw: Callable | None = None  # draw(data, dtype, bound) -> (arrays, params)
    finite: Callable | None = None
    check: Callable | None = None  # extra invariant check(out_array, arrays, params)
    params: dict = field(default_factory=dict)



def everywhere(arrays, params, dtype):
    return True, [True] * len(arrays)


def fin_exp(arrays, params, dtype):
    (x,) = arrays
    ok = x < log_limit(dtype)
    return ok, [ok]


def fin_log(arrays, params, dtype):
    (x,) = arrays
    value = x > 0
    return value, [value & (-log_abs(x) < log_limit(dtype))]


def fin_sqrt(arrays, params, dtype):
    (x,) = arrays
    return True, [(x > 0) & (-0.5 * log_abs(x) + math.log(0.5) < log_limit(dtype))]


def fin_square(arrays, params, dtype):
    (x,) = arrays
    return 2 * log_abs(x) < log_limit(dtype), [True]


def fin_multiply(arrays, params, dtype):
    a, b = arrays
    return log_abs(a) + log_abs(b) < log_limit(dtype), [True, True]


def fin_divide(arrays, params, dtype):
    a, b = arrays
    lim = log_limit(dtype)
    nonzero = b != 0
    value = nonzero & (log_abs(a) - log_abs(b) < lim)
    grad_a = nonzero & (-log_abs(b) < lim)
    grad_b = nonzero & (log_abs(a) - 2 * log_abs(b) < lim)
    return value, [grad_a, grad_b]


def fin_power(arrays, params, dtype):
    """a ** b for a >= 0: finite where a^b, b·a^(b−1) (and a^(b−1) itself, the
    intermediate) and a^b·log a are representable; 0 ** negative is a pole."""
    a, b = arrays
    lim = log_limit(dtype)
    la = log_abs(a)
    positive = a > 0
    with np.errstate(invalid="ignore"):
        value = np.where(positive, b * la < lim, b >= 0)
        grad_a = positive & ((b - 1) * la < lim) & ((b - 1) * la + log_abs(b) < lim)
        grad_b = positive & (b * la + log_abs(la) < lim)
    return value, [grad_a, grad_b]


def fin_sum_squares(arrays, params, dtype, extra: float = 0.0):
    """For var/std/mse: squares of deviations up to (2·max|x|)² times the count."""
    x = np.concatenate([np.ravel(a) for a in arrays])
    lim = log_limit(dtype)
    biggest = float(np.max(log_abs(x))) + math.log(2)
    ok = 2 * biggest + math.log(max(x.size, 1)) + extra < lim
    return ok, [ok] * len(arrays)


def fin_std(arrays, params, dtype):
    """std: as var, plus sqrt's pole: every reduced group must vary (a variance
    comfortably above the smallest normal, so no deviation² underflows to 0)."""
    value, _ = fin_sum_squares(arrays, params, dtype)
    (x,) = arrays
    spread = np.var(x.astype(np.float64), axis=params["axis"], keepdims=True)
    grad = value & bool(np.all(spread > float(np.finfo(dtype).tiny) * 1e6))
    return value, [grad]


def fin_prod(arrays, params, dtype):
    """prod multiplies left to right (as np.prod): every partial product, and every
    product of the others (the gradient), must be representable."""
    (x,) = arrays
    lim = log_limit(dtype)
    total = float(np.sum(log_abs(x)))
    ok = bool(np.all(np.cumsum(np.abs(log_abs(x)[np.isfinite(log_abs(x))])) < lim))
    ok = ok and total < lim
    return ok, [ok]


def fin_matmul(arrays, params, dtype):
    a, b = arrays[:2]
    lim = log_limit(dtype)
    k = a.shape[-1]
    bound = float(np.max(log_abs(a))) + float(np.max(log_abs(b))) + math.log(k + 1)
    ok = bound < lim
    return ok, [ok] * len(arrays)


def fin_l2(arrays, params, dtype):
    x = np.concatenate([np.ravel(a) for a in arrays])
    ok = 2 * float(np.max(log_abs(x))) + math.log(x.size) < log_limit(dtype)
    return ok, [True] * len(arrays)


# ---- draws -------------------------------------------------------------------------------


def draw_elementwise(case: Case):
    def draw(data, dtype, bound):
        shape = data.draw(shape_strategy())
        lo, hi = case.domain
        arrays = [draw_array(data, dtype, shape, lo * bound, hi * bound) for _ in range(case.arity)]
        return arrays, dict(case.params)

    draw.grid = lambda dtype, bound: grid_elementwise(case, dtype, bound)
    return draw


def draw_reduction(data, dtype, bound):
    shape = data.draw(shape_strategy(min_dims=1, max_dims=2))
    x = draw_array(data, dtype, shape, -bound, bound)
    axis = data.draw(st.sampled_from([None, 0, -1]))
    return [x], {"axis": axis, "keepdims": data.draw(st.booleans())}


def draw_softmax(data, dtype, bound):
    shape = data.draw(shape_strategy(min_dims=1, max_dims=2))
    x = draw_array(data, dtype, shape, -bound, bound)
    return [x], {"axis": data.draw(st.sampled_from([0, -1]))}


def draw_power(data, dtype, bound):
    shape = data.draw(shape_strategy())
    base = draw_array(data, dtype, shape, 0.0, bound)
    exponent = draw_array(data, dtype, shape, -3.0, 3.0)
    return [base, exponent], {}


def draw_divide(data, dtype, bound):
    shape = data.draw(shape_strategy())
    return [draw_array(data, dtype, shape, -bound, bound) for _ in range(2)], {}


def draw_matmul(data, dtype, bound):
    n, k, m = (data.draw(st.integers(1, 3)) for _ in range(3))
    a = draw_array(data, dtype, (n, k), -bound, bound)
    b = draw_array(data, dtype, (k, m), -bound, bound)
    return [a, b], {}


def draw_linear(data, dtype, bound):
    n, k, m = (data.draw(st.integers(1, 3)) for _ in range(3))
    return [
        draw_array(data, dtype, (n, k), -bound, bound),
        draw_array(data, dtype, (m, k), -bound, bound),
        draw_array(data, dtype, (m,), -bound, bound),
    ], {}


def draw_logits_and_classes(data, dtype, bound):
    n, c = data.draw(st.integers(1, 4)), data.draw(st.integers(1, 4))
    x = draw_array(data, dtype, (n, c), -bound, bound)
    classes = np.array(data.draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n)))
    return [x], {"classes": classes}


def draw_probabilities(data, dtype, bound):
    """BCE takes probabilities: input and target in [0, 1] whatever the bound."""
    shape = data.draw(shape_strategy())
    p = draw_array(data, dtype, shape, 0.0, 1.0)
    y = draw_array(data, dtype, shape, 0.0, 1.0)
    return [p], {"target": y}


def draw_logits_and_targets(data, dtype, bound):
    shape = data.draw(shape_strategy())
    x = draw_array(data, dtype, shape, -bound, bound)
    y = draw_array(data, dtype, shape, 0.0, 1.0)
    return [x], {"target": y}


def draw_scores_and_signs(data, dtype, bound):
    shape = data.draw(shape_strategy())
    s = draw_array(data, dtype, shape, -bound, bound)
    y = data.draw(hnp.arrays(dtype, shape, elements=st.sampled_from([-1.0, 1.0])))
    return [s], {"target": y}


def draw_pair(data, dtype, bound):
    shape = data.draw(shape_strategy())
    return [draw_array(data, dtype, shape, -bound, bound) for _ in range(2)], {}


def draw_params(data, dtype, bound):
    shapes = [data.draw(shape_strategy()) for _ in range(2)]
    return [draw_array(data, dtype, s, -bound, bound) for s in shapes], {}


def draw_shape_op(data, dtype, bound):
    shape = data.draw(shape_strategy(min_dims=2, max_dims=2))
    return [draw_array(data, dtype, shape, -bound, bound)], {}


# ---- invariants (cheap sanity of the values, beyond finiteness) ------------------------------


def in_unit_interval(out, arrays, params):
    assert np.all((out >= 0) & (out <= 1)), out


def in_minus_one_one(out, arrays, params):
    assert np.all((out >= -1) & (out <= 1)), out


def softmax_sums_to_one(out, arrays, params):
    in_unit_interval(out, arrays, params)
    np.testing.assert_allclose(out.sum(axis=params["axis"]), 1.0, rtol=1e-5)


def nonpositive(out, arrays, params):
    assert np.all(out <= 0), out


def nonnegative(out, arrays, params):
    assert np.all(out >= 0), out


def logsumexp_at_least_max(out, arrays, params):
    (x,) = arrays
    m = np.max(x, axis=params["axis"], keepdims=params["keepdims"])
    assert np.all(out >= m - np.abs(m) * 1e-6), (out, m)


def elementwise(name, fn, **kw) -> Case:
    case = Case(name, fn, **kw)
    if case.draw is None:
        case = Case(**{**case.__dict__, "draw": draw_elementwise(case)})
    return case


def _clip(x):
    return tg.clip(x, -0.5 * float(np.abs(x.data).max() or 1), 1e3)


CASES = [
    # ---- binary ----
    elementwise("add", tg.add, arity=2),
    elementwise("subtract", tg.subtract, arity=2),
    elementwise("multiply", tg.multiply, arity=2, finite=fin_multiply),
    Case("divide", tg.divide, arity=2, draw=draw_divide, finite=fin_divide),
    Case("power", tg.power, arity=2, draw=draw_power, finite=fin_power),
    elementwise("maximum", tg.maximum, arity=2),
    elementwise("minimum", tg.minimum, arity=2),
    Case("where", lambda a, b: tg.where(a.data > b.data, a, b), draw=draw_pair),
    # ---- elementwise ----
    elementwise("negative", tg.negative),
    elementwise("exp", tg.exp, finite=fin_exp),
    elementwise("log", tg.log, domain=(0.0, 1.0), finite=fin_log),
    elementwise("sqrt", tg.sqrt, domain=(0.0, 1.0), finite=fin_sqrt, check=nonnegative),
    elementwise("square", tg.square, finite=fin_square, check=nonnegative),
    elementwise("abs", tg.abs, check=nonnegative),
    elementwise("sin", tg.sin, check=in_minus_one_one),
    elementwise("cos", tg.cos, check=in_minus_one_one),
    elementwise("tanh", tg.tanh, check=in_minus_one_one),
    elementwise("sigmoid", tg.sigmoid, check=in_unit_interval),
    elementwise("relu", tg.relu, check=nonnegative),
    elementwise("leaky_relu", lambda x: tg.leaky_relu(x, 0.1)),
    elementwise("elu", lambda x: tg.elu(x, 1.3)),
    elementwise("softplus", tg.softplus, check=nonnegative),
    elementwise("erf", tg.erf, check=in_minus_one_one),
    elementwise("gelu", tg.gelu),
    elementwise("gelu_tanh", lambda x: tg.gelu(x, approximate="tanh")),
    elementwise("clip", _clip),
    # ---- reductions ----
    Case("sum", tg.sum, draw=draw_reduction),
    Case("mean", tg.mean, draw=draw_reduction),
    Case("max", tg.max, draw=draw_reduction),
    Case("min", tg.min, draw=draw_reduction),
    Case("prod", tg.prod, draw=draw_reduction, finite=fin_prod),
    Case("var", tg.var, draw=draw_reduction, finite=fin_sum_squares, check=nonnegative),
    Case("std", tg.std, draw=draw_reduction, finite=fin_std, check=nonnegative),
    Case("logsumexp", tg.logsumexp, draw=draw_reduction, check=logsumexp_at_least_max),
    Case("softmax", tg.softmax, draw=draw_softmax, check=softmax_sums_to_one),
    Case("log_softmax", tg.log_softmax, draw=draw_softmax, check=nonpositive),
    # ---- shape and linear algebra ----
    Case("reshape", lambda x: x.reshape(-1), draw=draw_shape_op),
    Case("transpose", lambda x: x.T, draw=draw_shape_op),
    Case("getitem", lambda x: x[np.array([0, -1, 0])], draw=draw_shape_op),
    Case("concatenate", lambda x: tg.concatenate([x, x * 0.5], axis=1), draw=draw_shape_op),
    Case("stack", lambda x: tg.stack([x, -x]), draw=draw_shape_op),
    Case("pad", lambda x: x.pad(((1, 0), (0, 2)), value=-1.0), draw=draw_shape_op),
    Case("broadcast_to", lambda x: x.broadcast_to((2,) + x.shape), draw=draw_shape_op),
    Case("squeeze/expand_dims", lambda x: x.expand_dims(0).squeeze(0), draw=draw_shape_op),
    Case("flatten", lambda x: x.flatten(), draw=draw_shape_op),
    Case("swapaxes", lambda x: x.swapaxes(0, 1), draw=draw_shape_op),
    Case("astype", lambda x: x.astype(np.float64), draw=draw_shape_op),
    Case("matmul", tg.matmul, draw=draw_matmul, finite=fin_matmul),
    Case("linear", tg.ops.linear, draw=draw_linear, finite=fin_matmul),
    # ---- losses ----
    Case("mse_loss", F.mse_loss, draw=draw_pair, finite=fin_sum_squares, check=nonnegative),
    Case("l1_loss", F.l1_loss, draw=draw_pair, check=nonnegative),
    Case(
        "cross_entropy", lambda x, classes: F.cross_entropy(x, classes),
        draw=draw_logits_and_classes, check=nonnegative,
    ),
    Case(
        "cross_entropy_sum", lambda x, classes: F.cross_entropy(x, classes, reduction="sum"),
        draw=draw_logits_and_classes, check=nonnegative,
    ),
    Case(
        "nll_loss", lambda x, classes: F.nll_loss(x.log_softmax(axis=-1), classes),
        draw=draw_logits_and_classes, check=nonnegative,
    ),
    Case(
        "binary_cross_entropy", lambda p, target: F.binary_cross_entropy(p, target),
        draw=draw_probabilities, check=nonnegative,
    ),
    Case(
        "binary_cross_entropy_with_logits",
        lambda x, target: F.binary_cross_entropy_with_logits(x, target, reduction="none"),
        draw=draw_logits_and_targets,
    ),
    Case(
        "hinge_loss", lambda s, target: F.hinge_loss(s, target, reduction="none"),
        draw=draw_scores_and_signs, check=nonnegative,
    ),
    Case(
        "perceptron_loss", lambda s, target: F.perceptron_loss(s, target),
        draw=draw_scores_and_signs, check=nonnegative,
    ),
    Case("l1_penalty", lambda a, b: F.l1_penalty([a, b]), draw=draw_params, check=nonnegative),
    Case("l2_penalty", lambda a, b: F.l2_penalty([a, b]), draw=draw_params, finite=fin_l2),
    elementwise("dropout", lambda x: F.dropout(x, p=0.3)),
    elementwise("heaviside", F.heaviside),
]
from .extreme_numpy_cases import numpy_cases  # noqa: E402  (issue 16's ops)

CASES += numpy_cases()


# ---- the edge grid: every pair of edge values, deterministically --------------------------


def _edges(dtype, lo, hi) -> np.ndarray:
    return np.array(edge_values(dtype, lo, hi), dtype=dtype)


def _pairs(dtype, lo, hi, lo2=None, hi2=None) -> tuple[np.ndarray, np.ndarray]:
    a = _edges(dtype, lo, hi)
    b = a if lo2 is None else _edges(dtype, lo2, hi2)
    a, b = np.meshgrid(a, b, indexing="ij")
    return a.ravel(), b.ravel()


def grid_elementwise(case, dtype, bound):
    lo, hi = case.domain[0] * bound, case.domain[1] * bound
    if case.arity == 1:
        return [([_edges(dtype, lo, hi)], dict(case.params))]
    return [(list(_pairs(dtype, lo, hi)), dict(case.params))]


def grid_rows(dtype, bound) -> np.ndarray:
    """(n, 2): every ordered pair of edge values as a row."""
    return np.stack(_pairs(dtype, -bound, bound), axis=1)


def grid_reduction(dtype, bound):
    x = grid_rows(dtype, bound)
    return [([x], {"axis": axis, "keepdims": False}) for axis in (None, 0, -1)]


def grid_softmax(dtype, bound):
    x = grid_rows(dtype, bound)
    return [([x], {"axis": axis}) for axis in (0, -1)]


def grid_pair(dtype, bound):
    return [(list(_pairs(dtype, -bound, bound)), {})]


def grid_power(dtype, bound):
    return [(list(_pairs(dtype, 0.0, bound, -3.0, 3.0)), {})]


def _square(dtype, bound) -> np.ndarray:
    return np.array([[bound, -bound / 3], [1.0, 0.0]], dtype=dtype)


def grid_matmul(dtype, bound):
    return [([grid_rows(dtype, bound), _square(dtype, bound)], {})]


def grid_linear(dtype, bound):
    bias = np.array([bound, -1.0], dtype=dtype)
    return [([grid_rows(dtype, bound), _square(dtype, bound), bias], {})]


def grid_logits_and_classes(dtype, bound):
    x = grid_rows(dtype, bound)
    return [([x], {"classes": np.arange(len(x)) % 2})]


def grid_probabilities(dtype, bound):
    p, y = _pairs(dtype, 0.0, 1.0)
    return [([p], {"target": y})]


def grid_logits_and_targets(dtype, bound):
    x, y = _pairs(dtype, -bound, bound, 0.0, 1.0)
    return [([x], {"target": y})]


def grid_scores_and_signs(dtype, bound):
    x, y = _pairs(dtype, -bound, bound, -1.0, 1.0)
    y = np.where(y > 0, 1.0, -1.0).astype(dtype)  # only the labels ±1
    return [([x], {"target": y})]


def grid_params(dtype, bound):
    e = _edges(dtype, -bound, bound)
    return [([e, e[::-1].copy()], {})]


def grid_shape_op(dtype, bound):
    return [([grid_rows(dtype, bound)], {})]


GRIDS = {
    draw_reduction: grid_reduction, draw_softmax: grid_softmax, draw_pair: grid_pair,
    draw_divide: grid_pair, draw_power: grid_power, draw_matmul: grid_matmul,
    draw_linear: grid_linear, draw_logits_and_classes: grid_logits_and_classes,
    draw_probabilities: grid_probabilities, draw_logits_and_targets: grid_logits_and_targets,
    draw_scores_and_signs: grid_scores_and_signs, draw_params: grid_params,
    draw_shape_op: grid_shape_op,
}


def grid_of(case: Case, dtype, bound):
    grid = getattr(case.draw, "grid", None) or GRIDS[case.draw]
    return grid(dtype, bound)


# ---- conv nets (issue 16): images at the bound, weights in [-1, 1] ------------------------


def draw_image(data, dtype, bound):
    sides = ((1, 2), (1, 2), (2, 4), (2, 4))  # N, C, H, W
    shape = tuple(data.draw(st.integers(lo, hi)) for lo, hi in sides)
    return [draw_array(data, dtype, shape, -bound, bound)], {}


def draw_conv(data, dtype, bound):
    [x], _ = draw_image(data, dtype, bound)
    return [x, draw_array(data, dtype, (2, x.shape[1], 2, 2), -1.0, 1.0)], {}


def draw_batch_norm(data, dtype, bound):
    x = draw_array(data, dtype, (data.draw(st.integers(2, 4)), 2), -bound, bound)
    w, b = (draw_array(data, dtype, (2,), -1.0, 1.0) for _ in range(2))
    return [x, w, b], {"training": data.draw(st.booleans())}


def fin_batch_norm(arrays, params, dtype):
    """Training squares the deviations (as var); evaluation only scales."""
    ok = fin_sum_squares(arrays[:1], params, dtype)[0] if params["training"] else True
    return ok, [ok] * 3


def _image_grid(dtype, bound):
    return grid_rows(dtype, bound)[None, None]  # (1, 1, n, 2)


draw_image.grid = lambda dtype, bound: [([_image_grid(dtype, bound)], {})]
draw_conv.grid = lambda dtype, bound: [
    ([_image_grid(dtype, bound), _square(dtype, 1.0)[None, None]], {})
]
draw_batch_norm.grid = lambda dtype, bound: [
    ([grid_rows(dtype, bound), _square(dtype, 1.0)[0], _square(dtype, 1.0)[1]],
     {"training": training})
    for training in (True, False)
]


def _batch_norm(x, w, b, training):
    return tg.batch_norm(x, np.zeros(2), np.ones(2), w, b, training=training)


CASES += [
    Case("conv2d", lambda x, w: tg.conv2d(x, w, padding=1), draw=draw_conv),
    Case(
        "conv_transpose2d", lambda x, w: tg.conv_transpose2d(x, w.swapaxes(0, 1)),
        draw=draw_conv,
    ),
    Case("unfold", lambda x: tg.unfold(x, 2, padding=1), draw=draw_image),
    Case(
        "fold", lambda x: tg.fold(tg.unfold(x, 2, padding=1), x.shape[-2:], 2, padding=1),
        draw=draw_image,
    ),
    Case("max_pool2d", lambda x: tg.max_pool2d(x, 2, 1, 1), draw=draw_image),
    Case("avg_pool2d", lambda x: tg.avg_pool2d(x, 2, 1, 1), draw=draw_image),
    Case("batch_norm", _batch_norm, draw=draw_batch_norm, finite=fin_batch_norm),
]


# ---- the check ---------------------------------------------------------------------------


def _as_mask(mask, shape) -> np.ndarray:
    return np.broadcast_to(np.asarray(mask, dtype=bool), shape)


def _cotangent(shape, dtype) -> np.ndarray:
    """A fixed non-constant cotangent in [-1, 1] (all-ones would hide softmax's
    gradient, which sums to zero)."""
    n = int(np.prod(shape, dtype=np.int64))
    return np.linspace(-1.0, 1.0, max(n, 1))[:n].reshape(shape).astype(dtype)


def check_finite(case: Case, dtype, arrays: list[np.ndarray], params: dict) -> None:
    """Forward and backward of ``case`` on ``arrays``: finite wherever the masks say."""
    finite = case.finite or everywhere
    with np.errstate(all="ignore"):  # log(0) = -inf in the masks is intended
        value_mask, grad_masks = finite(arrays, params, dtype)
    leaves = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    with np.errstate(all="ignore"):  # overflow where allowed is checked by the masks
        out = case.fn(*leaves, **params)
        values = out.data
        bad = ~np.isfinite(values) & _as_mask(value_mask, values.shape)
        assert not bad.any(), (
            f"{case.name}: non-finite value {values[bad]} for inputs {arrays} {params}"
        )
        if case.check is not None and np.all(value_mask):
            case.check(values, arrays, params)
        out.backward(_cotangent(out.shape, out.dtype))
    for i, (leaf, a, mask) in enumerate(zip(leaves, arrays, grad_masks)):
        assert leaf.grad is not None, f"{case.name}: input {i} got no gradient"
        g = leaf.grad.data
        assert g.dtype == dtype, f"{case.name}: {dtype.__name__} input {i} got a {g.dtype} gradient"
        bad = ~np.isfinite(g) & _as_mask(mask, g.shape)
        assert not bad.any(), (
            f"{case.name}: non-finite gradient {g[bad]} for input {i} at x = {a[bad]}"
        )


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
@settings(max_examples=EXAMPLES)
@given(data=st.data())
def test_no_nan_or_inf_where_the_result_is_finite(case: Case, data):
    dtype = data.draw(st.sampled_from(DTYPES), label="dtype")
    bound = data.draw(st.sampled_from([BIG, HUGE]), label="bound")
    arrays, params = case.draw(data, dtype, bound)
    check_finite(case, dtype, arrays, params)


@pytest.mark.parametrize("bound", [BIG, HUGE], ids=["1e4", "1e30"])
@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_edge_grid_has_no_nan_or_inf_where_the_result_is_finite(case: Case, dtype, bound):
    """Every pair of edge values at once: the borders the fuzzing may miss."""
    for arrays, params in grid_of(case, dtype, bound):
        check_finite(case, dtype, arrays, params)


def test_every_public_op_and_loss_is_in_the_table():
    """A new op or loss must join the fuzzing (or be listed here as not differentiable)."""
    covered = {c.name for c in CASES} | {"squeeze", "expand_dims"}
    not_differentiable = {
        "less", "less_equal", "greater", "greater_equal", "equal", "not_equal",
        "argmax", "argmin",
    }
    assert set(tg.ops.__all__) - not_differentiable - covered == set()
    assert set(F.__all__) - covered == set()


# ---- the documented non-finite results: infinite or undefined mathematically ------------------


def leaf(values, dtype=np.float64) -> Tensor:
    return Tensor(np.asarray(values, dtype=dtype), requires_grad=True)


def value_and_grad(fn, values, dtype=np.float64):
    x = leaf(values, dtype)
    with np.errstate(all="ignore"):
        out = fn(x)
        out.backward(np.ones(out.shape, dtype=dtype))
    return out.data, x.grad.data


@pytest.mark.parametrize("dtype", DTYPES)
def test_log_of_zero_is_minus_inf_and_of_negatives_nan(dtype):
    value, grad = value_and_grad(tg.log, [0.0, -1.0, 1.0], dtype)
    assert value[0] == -np.inf and np.isnan(value[1]) and value[2] == 0
    assert grad[0] == np.inf  # d/dx log x = 1/x -> +inf at 0
    assert grad[2] == 1


@pytest.mark.parametrize("dtype", DTYPES)
def test_sqrt_of_negative_is_nan_and_its_gradient_at_zero_inf(dtype):
    value, grad = value_and_grad(tg.sqrt, [-1.0, 0.0, 4.0], dtype)
    assert np.isnan(value[0]) and value[1] == 0 and value[2] == 2
    assert grad[1] == np.inf and grad[2] == 0.25


@pytest.mark.parametrize("dtype", DTYPES)
def test_exp_overflows_to_inf_above_the_dtype_range(dtype):
    value, grad = value_and_grad(tg.exp, [1e4, -1e4, 80.0], dtype)
    assert value[0] == np.inf and grad[0] == np.inf  # e^1e4 is not representable
    assert value[1] == 0 and grad[1] == 0  # underflow is exact enough: 0
    assert np.isfinite(value[2])
    # float32 overflows above ~88.7, float64 above ~709.8
    over = 89.0 if dtype == np.float32 else 710.0
    assert value_and_grad(tg.exp, [over], dtype)[0][0] == np.inf


@pytest.mark.parametrize("dtype", DTYPES)
def test_division_by_zero_follows_ieee(dtype):
    a, b = leaf([1.0, -1.0, 0.0], dtype), leaf([0.0, 0.0, 0.0], dtype)
    with np.errstate(all="ignore"):
        out = a / b
        out.backward(np.ones(3, dtype=dtype))
    assert out.data[0] == np.inf and out.data[1] == -np.inf and np.isnan(out.data[2])
    assert np.all(np.isinf(a.grad.data))  # 1/0
    assert not np.any(np.isfinite(b.grad.data))  # -a/b² at b = 0: inf, or nan for 0/0


def test_power_pole_and_negative_base():
    value, grad = value_and_grad(lambda x: x ** -1.0, [0.0])
    assert value[0] == np.inf and not np.isfinite(grad[0])
    value, _ = value_and_grad(lambda x: x ** (1.0 / 3.0), [-8.0])
    assert np.isnan(value[0])  # a real power of a negative base is undefined (NumPy: nan)
    value, grad = value_and_grad(lambda x: x ** 3.0, [-2.0])  # integer-valued exponent: fine
    assert value[0] == -8.0 and grad[0] == 12.0


@pytest.mark.parametrize(
    "fn",
    [tg.square, lambda x: F.mse_loss(x, tg.zeros_like(x)), lambda x: F.l2_penalty([x]),
     lambda x: x * x, lambda x: x.var()],
    ids=["square", "mse_loss", "l2_penalty", "multiply", "var"],
)
def test_squares_overflow_float32_at_1e30_but_not_float64(fn):
    """(1e30)² = 1e60 is beyond float32's 3.4e38: inf there is the right answer."""
    value32, _ = value_and_grad(fn, [1e30, -1e30], np.float32)
    value64, grad64 = value_and_grad(fn, [1e30, -1e30], np.float64)
    assert np.any(np.isinf(value32))
    assert np.all(np.isfinite(value64)) and np.all(np.isfinite(grad64))


def test_std_of_a_constant_has_gradient_zero():
    """sqrt has no derivative at 0, but PyTorch's std_backward masks result == 0 to a
    gradient of 0 (the subgradient nearest a flat input), and so does std."""
    value, grad = value_and_grad(lambda x: x.std(), [3.0, 3.0, 3.0])
    assert value == 0
    assert grad.tolist() == [0.0, 0.0, 0.0]


def test_nan_inputs_propagate_and_are_never_hidden():
    nan = np.nan
    for fn in (tg.exp, tg.sigmoid, tg.tanh, tg.softplus, tg.relu, tg.abs, lambda x: x.sum(),
               lambda x: x.max(), lambda x: x.softmax(), lambda x: x.logsumexp()):
        with np.errstate(all="ignore"):
            out = fn(Tensor(np.array([nan, 1.0])))
        assert np.isnan(out.data).any(), fn


def test_infinite_inputs_saturate_where_the_limit_exists():
    x = Tensor(np.array([-np.inf, np.inf]))
    with np.errstate(all="ignore"):
        assert tg.sigmoid(x).tolist() == [0.0, 1.0]
        assert tg.tanh(x).tolist() == [-1.0, 1.0]
        assert tg.relu(x).tolist() == [0.0, np.inf]
        assert tg.softplus(x).tolist() == [0.0, np.inf]
        assert tg.exp(x).tolist() == [0.0, np.inf]
        assert tg.logsumexp(Tensor(np.array([-np.inf, 0.0]))).item() == 0.0


def test_binary_cross_entropy_clamps_log_at_minus_100():
    """p = 0 with y = 1: the true loss is +inf; PyTorch's clamp gives 100 and a finite
    (huge) gradient instead, which keeps training alive."""
    p = leaf([0.0, 1.0], np.float32)
    loss = F.binary_cross_entropy(p, Tensor(np.array([1.0, 0.0], np.float32)), reduction="sum")
    loss.backward()
    assert loss.item() == pytest.approx(200.0)
    assert np.all(np.isfinite(p.grad.data))

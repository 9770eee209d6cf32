"""One table of every differentiable op: how to call it, its NumPy oracle, where its
inputs may come from and which points to keep away from (kinks, poles, ties).

``test_gradients.py`` runs every row three ways: forward == oracle, gradcheck, and
gradgradcheck where the op is twice differentiable.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu.testing import strategies as tst

_erf = np.vectorize(math.erf)


def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _logsumexp(x, axis=None, keepdims=False):
    m = x.max(axis=axis, keepdims=True)
    out = np.log(np.exp(x - m).sum(axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis) if axis is not None else out.reshape(())


def _elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


def _gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


@dataclass(frozen=True)
class OpSpec:
    """One op under test: ``fn(*tensors, **params)`` against ``reference(*arrays, **params)``."""

    name: str  # the public name in tinygrad_edu.ops
    fn: Callable[..., tg.Tensor]
    reference: Callable[..., np.ndarray]
    arity: int = 1
    domain: tuple[float, float] = (-3.0, 3.0)
    kinks: tuple[float, ...] = ()  # inputs are kept 1e-3 away from these points
    second_order: bool = True
    # draw(data) -> (arrays, params); the default: broadcastable float64 inputs in domain
    draw: Callable[[Any, "OpSpec"], tuple[list[np.ndarray], dict]] | None = None
    params: dict = field(default_factory=dict)


def away_from_kinks(arrays, kinks, margin=1e-3):
    for a in arrays:
        for k in kinks:
            assume(np.all(np.abs(a - k) > margin))


def draw_broadcastable(data, spec: OpSpec):
    elements = tst.floats(*spec.domain)
    tensors = data.draw(
        tst.broadcastable_tensors(spec.arity, elements=elements, max_dims=3, max_side=3)
    )
    arrays = [t.data for t in tensors]
    away_from_kinks(arrays, spec.kinks)
    return arrays, dict(spec.params)


def draw_distinct(data, spec: OpSpec):
    """For max/min-like ops: no near-ties, so the gradient is well defined."""
    arrays, params = draw_broadcastable(data, spec)
    if spec.arity == 2:
        a, b = np.broadcast_arrays(*arrays)
        assume(np.all(np.abs(a - b) > 1e-3))
    else:
        flat = np.sort(arrays[0].ravel())
        assume(flat.size < 2 or np.min(np.diff(flat)) > 1e-3)
    return arrays, params


def draw_reduction(data, spec: OpSpec, distinct: bool = False):
    shapes = tst.shapes(min_dims=1, max_dims=3, max_side=3)
    x = data.draw(tst.arrays(shapes, elements=tst.floats(*spec.domain)))
    if distinct:
        flat = np.sort(x.ravel())
        assume(flat.size < 2 or np.min(np.diff(flat)) > 1e-3)
    axis = data.draw(tst.axes(x.ndim))
    keepdims = data.draw(st.booleans())
    return [x], {"axis": axis, "keepdims": keepdims}


def draw_spread_reduction(data, spec: OpSpec):
    """For std: sqrt has no derivative at 0, so every reduced group must vary."""
    arrays, params = draw_reduction(data, spec)
    assume(np.all(np.var(arrays[0], axis=params["axis"]) > 1e-2))
    return arrays, params


def draw_partly_flat_reduction(data, spec: OpSpec):
    """For std at 0: some reduced groups constant (gradient 0 there, as PyTorch's
    std_backward; central differences agree, std being even in the perturbation),
    the others varying. Not twice differentiable at the flat groups."""
    arrays, params = draw_reduction(data, spec)
    x, axis = arrays[0], params["axis"]
    level = np.round(np.mean(x, axis=axis, keepdims=True))
    flat = data.draw(tst.arrays(level.shape, dtype=bool, elements=st.booleans()))
    x = np.where(flat, level, x)
    assume(np.all(flat | (np.var(x, axis=axis, keepdims=True) > 1e-2)))
    return [x], params


def draw_single_axis(data, spec: OpSpec):
    shapes = tst.shapes(min_dims=1, max_dims=3, max_side=3)
    x = data.draw(tst.arrays(shapes, elements=tst.floats(*spec.domain)))
    axis = data.draw(st.integers(-x.ndim, x.ndim - 1))
    return [x], {"axis": axis}


def draw_matmul(data, spec: OpSpec):
    shape_a, shape_b = data.draw(tst.matmul_shapes())
    elements = tst.floats(-2, 2)
    a = data.draw(tst.arrays(shape_a, elements=elements))
    b = data.draw(tst.arrays(shape_b, elements=elements))
    return [a, b], {}


def draw_linear(data, spec: OpSpec):
    batch = data.draw(st.sampled_from([(), (3,), (2, 3)]))
    n_in, n_out = data.draw(st.integers(1, 4)), data.draw(st.integers(1, 4))
    elements = tst.floats(-2, 2)
    x = data.draw(tst.arrays(batch + (n_in,), elements=elements))
    w = data.draw(tst.arrays((n_out, n_in), elements=elements))
    b = data.draw(tst.arrays((n_out,), elements=elements))
    return [x, w, b], {}


def draw_reshape(data, spec: OpSpec):
    x = data.draw(tst.arrays(tst.shapes(max_dims=3, max_side=4), elements=tst.floats()))
    shape = data.draw(st.sampled_from([(x.size,), (1, x.size), (x.size, 1, 1), (-1,)]))
    return [x], {"shape": shape}


def draw_transpose(data, spec: OpSpec):
    x = data.draw(tst.arrays(tst.shapes(min_dims=1, max_dims=4, max_side=3), elements=tst.floats()))
    axes = tuple(data.draw(st.permutations(range(x.ndim))))
    return [x], {"axes": axes}


def draw_broadcast_to(data, spec: OpSpec):
    x = data.draw(tst.arrays(tst.shapes(max_dims=2, max_side=3), elements=tst.floats()))
    target = data.draw(st.lists(st.integers(1, 3), min_size=0, max_size=2)).copy()
    shape = tuple(target) + tuple(n if n != 1 else data.draw(st.integers(1, 3)) for n in x.shape)
    return [x], {"shape": shape}


def draw_getitem(data, spec: OpSpec):
    x = data.draw(tst.arrays(tst.shapes(min_dims=1, max_dims=3, max_side=4), elements=tst.floats()))
    kind = data.draw(st.sampled_from(["basic", "int_array", "mask", "mixed"]))
    n = x.shape[0]
    if kind == "basic":
        start = data.draw(st.integers(0, n - 1))
        index = (slice(start, None, data.draw(st.integers(1, 2))),) + (
            (data.draw(st.integers(-x.shape[1], x.shape[1] - 1)),) if x.ndim > 1 else ()
        )
    elif kind == "int_array":  # may repeat: gradients must accumulate
        index = np.array(data.draw(st.lists(st.integers(-n, n - 1), min_size=1, max_size=6)))
    elif kind == "mask":
        index = np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    else:
        positions = st.lists(st.integers(0, x.shape[-1] - 1), min_size=1, max_size=4)
        index = (Ellipsis, np.array(data.draw(positions)))
    return [x], {"index": index}


def draw_concatenate(data, spec: OpSpec):
    base = data.draw(tst.shapes(min_dims=1, max_dims=3, max_side=3))
    axis = data.draw(st.integers(-len(base), len(base) - 1))
    count = data.draw(st.integers(1, 3))
    arrays = []
    for _ in range(count):
        shape = list(base)
        shape[axis] = data.draw(st.integers(1, 3))
        arrays.append(data.draw(tst.arrays(tuple(shape), elements=tst.floats())))
    return arrays, {"axis": axis}


def draw_stack(data, spec: OpSpec):
    shape = data.draw(tst.shapes(max_dims=2, max_side=3))
    count = data.draw(st.integers(1, 3))
    arrays = [data.draw(tst.arrays(shape, elements=tst.floats())) for _ in range(count)]
    axis = data.draw(st.integers(-len(shape) - 1, len(shape)))
    return arrays, {"axis": axis}


def draw_pad(data, spec: OpSpec):
    x = data.draw(tst.arrays(tst.shapes(min_dims=1, max_dims=3, max_side=3), elements=tst.floats()))
    widths = tuple(
        (data.draw(st.integers(0, 2)), data.draw(st.integers(0, 2))) for _ in range(x.ndim)
    )
    return [x], {"pad_width": widths, "value": data.draw(st.sampled_from([0.0, -1.5]))}


def draw_squeeze(data, spec: OpSpec):
    shape = data.draw(tst.shapes(max_dims=4, max_side=2))
    x = data.draw(tst.arrays(shape, elements=tst.floats()))
    ones = [i for i, n in enumerate(shape) if n == 1]
    axis = data.draw(st.sampled_from([None] + ones)) if ones else None
    return [x], {"axis": axis}


def draw_expand_dims(data, spec: OpSpec):
    x = data.draw(tst.arrays(tst.shapes(max_dims=3, max_side=3), elements=tst.floats()))
    return [x], {"axis": data.draw(st.integers(-x.ndim - 1, x.ndim))}


def draw_swapaxes(data, spec: OpSpec):
    x = data.draw(tst.arrays(tst.shapes(min_dims=1, max_dims=3, max_side=3), elements=tst.floats()))
    a, b = (data.draw(st.integers(-x.ndim, x.ndim - 1)) for _ in range(2))
    return [x], {"axis1": a, "axis2": b}


def draw_where(data, spec: OpSpec):
    arrays, _ = draw_broadcastable(data, spec)
    shape = np.broadcast_shapes(*(a.shape for a in arrays))
    cond = data.draw(tst.arrays(shape, dtype=bool, elements=st.booleans()))
    return arrays, {"cond": cond}


def draw_power(data, spec: OpSpec):
    tensors = data.draw(
        tst.broadcastable_tensors(2, elements=tst.floats(0.2, 3), max_dims=3, max_side=3)
    )
    base, exponent = (t.data for t in tensors)
    return [base, exponent - 1.5], {}


def draw_divide(data, spec: OpSpec):
    arrays, params = draw_broadcastable(data, spec)
    assume(np.all(np.abs(arrays[1]) > 0.2))  # away from the pole
    return arrays, params


SPECS = [
    # ---- binary ----
    OpSpec("add", tg.add, np.add, arity=2),
    OpSpec("subtract", tg.subtract, np.subtract, arity=2),
    OpSpec("multiply", tg.multiply, np.multiply, arity=2),
    OpSpec("divide", tg.divide, np.divide, arity=2, draw=draw_divide),
    OpSpec("power", tg.power, np.power, arity=2, draw=draw_power),
    OpSpec("maximum", tg.maximum, np.maximum, arity=2, draw=draw_distinct),
    OpSpec("minimum", tg.minimum, np.minimum, arity=2, draw=draw_distinct),
    OpSpec(
        "where", lambda a, b, cond: tg.where(cond, a, b),
        lambda a, b, cond: np.where(cond, a, b), arity=2, draw=draw_where,
    ),
    # ---- elementwise ----
    OpSpec("negative", tg.negative, np.negative),
    OpSpec("exp", tg.exp, np.exp),
    OpSpec("log", tg.log, np.log, domain=(0.1, 10.0)),
    OpSpec("sqrt", tg.sqrt, np.sqrt, domain=(0.1, 10.0)),
    OpSpec("square", tg.square, np.square),
    OpSpec("abs", tg.abs, np.abs, kinks=(0.0,)),
    OpSpec("sin", tg.sin, np.sin),
    OpSpec("cos", tg.cos, np.cos),
    OpSpec("tanh", tg.tanh, np.tanh),
    OpSpec("sigmoid", tg.sigmoid, _sigmoid, domain=(-10.0, 10.0)),
    OpSpec("relu", tg.relu, lambda x: np.maximum(x, 0), kinks=(0.0,)),
    OpSpec(
        "leaky_relu", tg.leaky_relu,
        lambda x, negative_slope: np.where(x > 0, x, negative_slope * x),
        kinks=(0.0,), params={"negative_slope": 0.1},
    ),
    OpSpec("elu", tg.elu, _elu, kinks=(0.0,), params={"alpha": 1.3}),
    OpSpec("softplus", tg.softplus, lambda x: np.logaddexp(0, x), domain=(-10.0, 10.0)),
    OpSpec("erf", tg.erf, _erf),
    OpSpec("gelu", tg.gelu, lambda x: 0.5 * x * (1 + _erf(x / math.sqrt(2)))),
    OpSpec("gelu_tanh", lambda x: tg.gelu(x, approximate="tanh"), _gelu_tanh),
    OpSpec(
        "clip", tg.clip, lambda x, lo, hi: np.clip(x, lo, hi),
        kinks=(-1.0, 1.0), params={"lo": -1.0, "hi": 1.0},
    ),
    # ---- reductions ----
    OpSpec("sum", tg.sum, np.sum, draw=draw_reduction),
    OpSpec("mean", tg.mean, np.mean, draw=draw_reduction),
    OpSpec("prod", tg.prod, np.prod, draw=draw_reduction),
    OpSpec("var", tg.var, np.var, draw=draw_reduction),
    OpSpec("std", tg.std, np.std, draw=draw_spread_reduction),
    OpSpec(
        "std_with_flat_groups", tg.std, np.std, draw=draw_partly_flat_reduction,
        second_order=False,
    ),
    OpSpec("max", tg.max, np.max, draw=lambda d, s: draw_reduction(d, s, distinct=True)),
    OpSpec("min", tg.min, np.min, draw=lambda d, s: draw_reduction(d, s, distinct=True)),
    OpSpec("logsumexp", tg.logsumexp, _logsumexp, draw=draw_reduction),
    OpSpec("softmax", tg.softmax, _softmax, draw=draw_single_axis),
    OpSpec(
        "log_softmax", tg.log_softmax, lambda x, axis: np.log(_softmax(x, axis)),
        draw=draw_single_axis,
    ),
    # ---- shape ----
    OpSpec(
        "reshape", lambda x, shape: tg.reshape(x, shape), lambda x, shape: x.reshape(shape),
        draw=draw_reshape,
    ),
    OpSpec("transpose", lambda x, axes: tg.transpose(x, *axes), np.transpose, draw=draw_transpose),
    OpSpec("swapaxes", tg.swapaxes, np.swapaxes, draw=draw_swapaxes),
    OpSpec("broadcast_to", tg.broadcast_to, np.broadcast_to, draw=draw_broadcast_to),
    OpSpec("getitem", tg.getitem, lambda x, index: x[index], draw=draw_getitem),
    OpSpec(
        "concatenate", lambda *xs, axis: tg.concatenate(xs, axis=axis),
        lambda *xs, axis: np.concatenate(xs, axis=axis), draw=draw_concatenate,
    ),
    OpSpec(
        "stack", lambda *xs, axis: tg.stack(xs, axis=axis),
        lambda *xs, axis: np.stack(xs, axis=axis), draw=draw_stack,
    ),
    OpSpec(
        "pad", tg.pad, lambda x, pad_width, value: np.pad(x, pad_width, constant_values=value),
        draw=draw_pad,
    ),
    OpSpec("squeeze", tg.squeeze, np.squeeze, draw=draw_squeeze),
    OpSpec("expand_dims", tg.expand_dims, np.expand_dims, draw=draw_expand_dims),
    OpSpec("flatten", tg.flatten, np.ravel),
    OpSpec("astype", lambda x: tg.astype(x, np.float64), lambda x: x.astype(np.float64)),
    # ---- linalg ----
    OpSpec("matmul", tg.matmul, np.matmul, arity=2, draw=draw_matmul),
    OpSpec("linear", tg.ops.linear, lambda x, w, b: x @ w.T + b, arity=3, draw=draw_linear),
]

# ops that return no gradient by design (comparisons and index-valued results)
NON_DIFFERENTIABLE = {
    "less", "less_equal", "greater", "greater_equal", "equal", "not_equal",
    "argmax", "argmin",
}

# the op families tested in their own files (they need OpSpec, defined above)
from .specs_conv import CONV_SPECS  # noqa: E402  conv nets (ops/conv.py, ops/pool.py)
from .specs_losses import LOSS_SPECS  # noqa: E402  losses and nn.functional's layers
from .specs_numpy import numpy_specs  # noqa: E402  NumPy's surface (issue 16)

SPECS += LOSS_SPECS + CONV_SPECS + numpy_specs()

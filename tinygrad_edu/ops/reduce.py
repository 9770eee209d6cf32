"""Reductions: sum, max, min, prod (primitives); mean, var, std, logsumexp, softmax,
log_softmax (composites); argmax, argmin (no gradient).

The adjoint of a reduction is a broadcast: the gradient of ``sum`` is the upstream
gradient copied back over the reduced axes.

Read next: ``ops/shape.py``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..autograd import Context, Function
from ..tensor import Tensor, as_tensor
from ._util import keepdims_shape, one_axis, real_number, reduction_axes
from .binary import equal, where
from .nograd import no_grad_result

# below this many elements, filling a new array is cheaper than np.broadcast_to's
# read-only view (its Python wrapper costs a few µs); above it the view saves a pass
_FILL_BELOW = 1 << 14


def _expand(grad: Any, ctx: Context) -> Any:
    """Put the reduced axes back (size 1), then broadcast to the input shape."""
    grad = grad.reshape(ctx.keep_shape)
    if isinstance(grad, Tensor):  # create_graph: a recorded broadcast
        return grad.broadcast_to(ctx.in_shape)
    if math.prod(ctx.in_shape) < _FILL_BELOW:
        filled = np.empty(ctx.in_shape, dtype=grad.dtype)
        filled[...] = grad
        return filled
    return np.broadcast_to(grad, ctx.in_shape)


class _Reduction(Function):
    """Normalises ``axis`` once, in forward, and remembers the shapes backward needs."""

    @staticmethod
    def setup(ctx: Context, x: np.ndarray, axis: Any) -> tuple[int, ...]:
        axes = reduction_axes(axis, x.ndim, ctx.fn.name)
        ctx.axes, ctx.in_shape, ctx.keep_shape = (
            axes,
            x.shape,
            keepdims_shape(x.shape, axes),
        )
        return axes


class Sum(_Reduction):
    """out = Σ_axis x;   grad_x = grad broadcast back over the summed axes"""

    name = "sum"
    differentiable_backward = True

    @staticmethod
    def forward(
        ctx: Context, x: np.ndarray, axis: Any = None, keepdims: bool = False
    ) -> np.ndarray:
        axes = Sum.setup(ctx, x, axis)
        return x.sum(axis=axes, keepdims=keepdims)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        return _expand(grad, ctx)


class Max(_Reduction):
    """out = max_axis x;   grad_x = grad at the maxima (split evenly among ties)"""

    name = "max"
    differentiable_backward = True
    reduce = staticmethod(np.max)

    @classmethod
    def forward(
        cls, ctx: Context, x: np.ndarray, axis: Any = None, keepdims: bool = False
    ) -> np.ndarray:
        axes = cls.setup(ctx, x, axis)
        if x.size == 0 and _empty_groups(x.shape, axes):
            raise ValueError(
                f"{cls.name}: the {cls.name} of an empty tensor of shape {x.shape} "
                f"(over axis {axis}) has no identity"
            )
        out = cls.reduce(x, axis=axes, keepdims=True)
        hits = x == out
        if x.dtype.kind == "f":  # a NaN maximum: the NaNs share the gradient (PyTorch)
            hits |= np.isnan(x) & np.isnan(out)
        dtype = x.dtype if x.dtype.kind == "f" else np.float64
        share = hits / hits.sum(axis=axes, keepdims=True).astype(dtype)
        ctx.save_for_backward(share.astype(dtype, copy=False))
        return (
            out
            if keepdims
            else out.reshape([n for i, n in enumerate(x.shape) if i not in axes])
        )

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        (share,) = ctx.saved_tensors
        return _expand(grad, ctx) * share


class Min(Max):
    """out = min_axis x;   grad_x = grad at the minima (split evenly among ties)"""

    name = "min"
    reduce = staticmethod(np.min)


class Prod(_Reduction):
    """out = Π_axis x;   grad_x = grad * Π_{j≠i} x_j  (the product of the others)

    The product of the others is computed without dividing out/x, so zeros and tiny
    values (whose product underflows) get exact gradients.
    """

    name = "prod"
    differentiable_backward = True

    @staticmethod
    def forward(
        ctx: Context, x: np.ndarray, axis: Any = None, keepdims: bool = False
    ) -> np.ndarray:
        axes = Prod.setup(ctx, x, axis)
        return np.prod(x, axis=axes, keepdims=keepdims)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        (x,) = ctx.values
        if x.size == 0:  # nothing to differentiate: the (empty) gradient has x's shape
            return _expand(grad, ctx)
        return _expand(grad, ctx) * _products_of_others(x, ctx.axes)


def _products_of_others(x: Any, axes: tuple[int, ...]) -> Any:
    """Π_{j≠i} x_j for every element i of each reduced group (arrays or Tensors)."""
    kept = [i for i in range(x.ndim) if i not in axes]
    order = kept + list(axes)
    n = int(np.prod([x.shape[a] for a in axes], dtype=np.int64))
    grouped = x.transpose(*order).reshape([x.shape[i] for i in kept] + [n])
    if isinstance(grouped, Tensor):
        # row i of the last two axes is the group with x_i replaced by 1: O(n²), but
        # built from differentiable ops, so create_graph gets the exact derivatives
        others = where(np.eye(n, dtype=bool), 1.0, grouped.expand_dims(-2)).prod(
            axis=-1
        )
    else:
        # products of everything before i and everything after i: O(n)
        ones = np.ones(grouped.shape[:-1] + (1,), dtype=grouped.dtype)
        before = np.cumprod(np.concatenate([ones, grouped[..., :-1]], axis=-1), axis=-1)
        after = np.cumprod(
            np.concatenate([ones, grouped[..., :0:-1]], axis=-1), axis=-1
        )[..., ::-1]
        others = before * after
    return others.reshape([x.shape[i] for i in order]).transpose(*np.argsort(order))


# ---- the functional API ----------------------------------------------------------


def sum(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Sum over ``axis`` (None = all, an int, or a tuple), as ``np.sum``.

    >>> import tinygrad_edu as tg
    >>> tg.sum(tg.Tensor([[1.0, 2.0], [3.0, 4.0]]), axis=0).tolist()
    [4.0, 6.0]
    """
    return Sum.apply(x, axis=axis, keepdims=keepdims)


def max(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Maximum over ``axis``; the gradient is shared evenly among tied maxima."""
    return Max.apply(x, axis=axis, keepdims=keepdims)


def min(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Minimum over ``axis``; the gradient is shared evenly among tied minima."""
    return Min.apply(x, axis=axis, keepdims=keepdims)


def prod(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Product over ``axis``, as ``np.prod`` (exact gradient with zeros too)."""
    return Prod.apply(x, axis=axis, keepdims=keepdims)


def _count(x: Tensor, axes: tuple[int, ...]) -> int:
    return int(np.prod([x.shape[a] for a in axes], dtype=np.int64))


def _empty_groups(shape: tuple[int, ...], axes: Any) -> bool:
    """True when each group a reduction over ``axes`` reads has no elements."""
    return any(shape[a] == 0 for a in axes)


def mean(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Mean over ``axis`` (composite: sum / count).

    >>> import tinygrad_edu as tg
    >>> tg.mean(tg.Tensor([1.0, 2.0, 6.0])).item()
    3.0
    """
    x = as_tensor(x, op="mean")
    n = _count(x, reduction_axes(axis, x.ndim, "mean"))
    if n == 0:
        raise ValueError(
            f"mean: no elements to average over axis {axis} of shape {x.shape}"
        )
    return sum(x, axis, keepdims) * (1.0 / n)


def var(x: Any, axis: Any = None, keepdims: bool = False, ddof: int = 0) -> Tensor:
    """Variance over ``axis``, NumPy's ``ddof`` (composite: mean squared deviation).

    Where NumPy returns nan or inf with a warning (``ddof`` >= the number of
    elements), this raises ValueError: there are no degrees of freedom left.
    """
    return _var(as_tensor(x, op="var"), axis, keepdims, ddof, "var")


def _var(x: Tensor, axis: Any, keepdims: bool, ddof: Any, op: str) -> Tensor:
    axes = reduction_axes(axis, x.ndim, op)
    ddof = real_number(ddof, op, "ddof")
    n = _count(x, axes)
    if n - ddof <= 0:
        raise ValueError(
            f"{op}: {n} elements with ddof={ddof} leave no degrees of freedom"
        )
    deviation = x - mean(x, axes, keepdims=True)
    return sum(deviation * deviation, axes, keepdims) * (1.0 / (n - ddof))


def std(x: Any, axis: Any = None, keepdims: bool = False, ddof: int = 0) -> Tensor:
    """Standard deviation over ``axis`` (composite: sqrt of var).

    Where the result is 0 (one element, a length-1 axis, constant data) the gradient
    is 0, as PyTorch's (``std_backward`` masks ``result == 0``), not sqrt's 1/0 times
    a zero deviation = nan.

    >>> import tinygrad_edu as tg
    >>> x = tg.Tensor([3.0, 3.0], requires_grad=True)
    >>> x.std().backward(); x.grad.tolist()
    [0.0, 0.0]
    """
    v = _var(as_tensor(x, op="std"), axis, keepdims, ddof, "std")
    zero = equal(v, 0.0)  # (an op, not `if` on v's values: compile replays it)
    # sqrt of 1 where v is 0, then 0 there: no 1/0 in the graph, so the gradient is 0
    return where(zero, 0.0, where(zero, 1.0, v).sqrt())


def _detached_max(x: Tensor, axes: tuple[int, ...]) -> Tensor:
    """The shift for stable exp (no gradient): any constant works, the max makes
    every exp <= 1."""
    return no_grad_result("max shift", lambda a: max_shift(a, axes), x)


def max_shift(a: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    """max of ``a`` over ``axes`` (kept as size-1 axes); 0 over an empty axis (no
    max) and where the max is ±inf."""
    if a.size == 0:
        return np.zeros(keepdims_shape(a.shape, axes), a.dtype)
    m = np.max(a, axis=axes, keepdims=True)
    return np.where(np.isfinite(m), m, 0).astype(a.dtype, copy=False)


def logsumexp(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """log Σ e^x over ``axis``, stable: m + log Σ e^(x − m) with m = max x
    (composite).

    An empty sum is 0, so over an empty axis the result is −inf (as PyTorch); −inf
    entries get gradient 0; a slice of all −inf gives −inf with a NaN gradient
    (0/0: softmax of nothing), as PyTorch's ``exp(x − result)``.

    >>> import tinygrad_edu as tg
    >>> tg.logsumexp(tg.Tensor([1e4, 1e4])).item() - 1e4
    0.693...
    """
    x = as_tensor(x, op="logsumexp")
    return _logsumexp(x, reduction_axes(axis, x.ndim, "logsumexp"), keepdims)


def _logsumexp(x: Tensor, axes: tuple[int, ...], keepdims: bool) -> Tensor:
    if _count(x, axes) == 0:  # −inf, kept in the graph (the empty sum's gradient)
        out = sum(x, axes, keepdims=True) + -np.inf
    else:
        m = _detached_max(x, axes)
        with np.errstate(
            divide="ignore"
        ):  # a slice of all −∞: log 0 = −∞ is the answer
            out = (x - m).exp().sum(axes, keepdims=True).log() + m
    return (
        out
        if keepdims
        else out.reshape([n for i, n in enumerate(x.shape) if i not in axes])
    )


def softmax(x: Any, axis: int = -1) -> Tensor:
    """e^x / Σ e^x along ``axis`` (composite; shifted by the max: it never overflows).

    >>> import tinygrad_edu as tg
    >>> tg.softmax(tg.Tensor([0.0, 0.0])).tolist()
    [0.5, 0.5]
    """
    x = as_tensor(x, op="softmax")
    axes = reduction_axes(axis, x.ndim, "softmax")
    e = (x - _detached_max(x, axes)).exp()
    return e / e.sum(axes, keepdims=True)


def log_softmax(x: Any, axis: int = -1) -> Tensor:
    """x − logsumexp(x) along ``axis`` (composite; stable)."""
    x = as_tensor(x, op="log_softmax")
    return x - _logsumexp(x, reduction_axes(axis, x.ndim, "log_softmax"), keepdims=True)


def argmax(x: Any, axis: int | None = None, keepdims: bool = False) -> Tensor:
    """Index of the maximum (int64 tensor, no gradient), as ``np.argmax``."""
    return _arg_reduce(np.argmax, "argmax", x, axis, keepdims)


def argmin(x: Any, axis: int | None = None, keepdims: bool = False) -> Tensor:
    """Index of the minimum (int64 tensor, no gradient), as ``np.argmin``."""
    return _arg_reduce(np.argmin, "argmin", x, axis, keepdims)


def _arg_reduce(fn: Any, op: str, x: Any, axis: Any, keepdims: bool) -> Tensor:
    x = as_tensor(x, op=op)
    if axis is not None:
        axis = one_axis(axis, x.ndim, op)
    if x.size == 0 and _empty_groups(
        x.shape, range(x.ndim) if axis is None else (axis,)
    ):
        raise ValueError(
            f"{op}: the {op} of an empty tensor of shape {x.shape} (over axis {axis}) "
            "has no answer"
        )
    return no_grad_result(
        op, lambda a: np.asarray(fn(a, axis=axis, keepdims=keepdims)), x
    )

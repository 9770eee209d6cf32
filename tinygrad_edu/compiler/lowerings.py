"""Lowerings: the common built-in ops, replayed into buffers made once at trace time.

A lowering does an op's forward and backward with the *same NumPy calls in the same
order* as the op's own code (so the values are bit-identical), but writes each
result into an array allocated while tracing (``out=``), instead of a new array
per call. An op is lowered as a pair -- forward and backward -- because a lowered
backward reads what the lowered forward kept in its buffers, not ``ctx``. Every
other op (and every user ``Function``) replays through its own forward/backward.

Each ``_lower_<op>`` gets ``(fn, ins, out, needs, param)`` -- the op, the input
mirrors (read ``.data`` at each call: parameters live where they are), the eager
output, which
inputs want a gradient, and ``param(key)`` giving a keyword parameter's current
value -- and returns ``(forward, backward, buffer)``: ``forward()`` fills the output
``buffer`` (or returns a new view when ``buffer`` is None), ``backward(g)`` returns
one gradient per input (None where none is wanted), written into buffers too. It
returns None to decline (shapes it does not handle). Nothing runs while tracing:
the eager call computes the values; the buffers are first filled by the replay.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..ops._util import zero_of


def _buffer(like: np.ndarray) -> np.ndarray:
    """An array allocated once, shaped like ``like`` (C order, as NumPy's results)."""
    return np.empty(like.shape, like.dtype)


# ---- the ops -----------------------------------------------------------------------
#
# A maker's ``backward`` may carry ``parts``: one function per input, g -> that
# input's gradient (``_same`` when it is g itself), so a step with one target calls
# it directly; and ``passes``: the inputs whose gradient is g itself (not a buffer).


def _same(g: np.ndarray) -> np.ndarray:
    return g


def _lower_linear(fn, ins, out, needs, param):
    """out = x Wᵀ (+ b);  gx = g W,  gW = gᵀ x,  gb = Σ_rows g  (2-D x only)."""
    x, w = ins[0], ins[1]
    b = ins[2] if len(ins) == 3 else None
    if x.data.ndim != 2:
        return None
    buf = _buffer(out.data)
    gx, gw = _buffer(x.data), _buffer(w.data)
    gb = None if b is None else _buffer(b.data)
    need_x, need_w = needs[0], needs[1]
    need_b = b is not None and needs[2]

    def forward() -> np.ndarray:
        np.matmul(x.data, w.data.T, out=buf)
        if b is not None:
            np.add(buf, b.data, out=buf)  # (out += bias)
        return buf

    def backward(g: np.ndarray) -> tuple:
        grads = [None, None]
        if need_x:
            grads[0] = np.matmul(g, w.data, out=gx)
        if need_w:
            grads[1] = np.matmul(g.T, x.data, out=gw)
        if b is not None:
            grads.append(np.add.reduce(g, axis=0, out=gb) if need_b else None)
        return tuple(grads)

    return forward, backward, buf


def _lower_matmul(fn, ins, out, needs, param):
    """out = a @ b;  ga = g bᵀ,  gb = aᵀ g  (2-D @ 2-D only)."""
    a, b = ins
    if a.data.ndim != 2 or b.data.ndim != 2:
        return None
    buf, ga, gb = _buffer(out.data), _buffer(a.data), _buffer(b.data)

    def forward() -> np.ndarray:
        return np.matmul(a.data, b.data, out=buf)

    def backward(g: np.ndarray) -> tuple:
        return (
            np.matmul(g, b.data.swapaxes(-1, -2), out=ga) if needs[0] else None,
            np.matmul(a.data.swapaxes(-1, -2), g, out=gb) if needs[1] else None,
        )

    return forward, backward, buf


def _binary(ufunc: np.ufunc, grad_a: Callable, grad_b: Callable | None):
    """An elementwise op ``ufunc(a, b)``; ``grad_a(a, b, buffer)`` makes the function
    g -> a's gradient (``_passes`` when it is g itself), ``grad_b`` b's (None: that
    gradient is not lowered)."""

    def lower(fn, ins, out, needs, param):
        a, b = ins
        if needs[1] and grad_b is None:
            return None
        buf = _buffer(out.data)
        part_a = grad_a(a, b, _buffer(out.data))
        part_b = _same if grad_b is None else grad_b(a, b, _buffer(out.data))

        def forward() -> np.ndarray:
            return ufunc(a.data, b.data, out=buf)

        def backward(g: np.ndarray) -> tuple:
            return (part_a(g) if needs[0] else None, part_b(g) if needs[1] else None)

        backward.passes = tuple(i for i, p in enumerate((part_a, part_b)) if p is _same)
        backward.parts = (part_a, part_b)
        return forward, backward, buf

    return lower


def _passes(a, b, o):  # grad = g
    return _same


def _negated(a, b, o):  # grad = -g
    def part(g: np.ndarray) -> np.ndarray:
        return np.negative(g, out=o)

    return part


def _times_b(a, b, o):  # grad = g * b
    def part(g: np.ndarray) -> np.ndarray:
        return np.multiply(g, b.data, out=o)

    return part


def _times_a(a, b, o):  # grad = g * a
    def part(g: np.ndarray) -> np.ndarray:
        return np.multiply(g, a.data, out=o)

    return part


def _over_b(a, b, o):  # grad = g / b
    def part(g: np.ndarray) -> np.ndarray:
        return np.divide(g, b.data, out=o)

    return part


def _unary(ufunc: Callable, grad: Callable, scratch: bool = False):
    """``out = ufunc(x)``; ``grad(g, x, out, gbuf, tmp)`` (tmp: one scratch array)."""

    def lower(fn, ins, out, needs, param):
        (x,) = ins
        buf, gx, tmp = _buffer(out.data), _buffer(out.data), _buffer(out.data)

        def forward() -> np.ndarray:
            return ufunc(x.data, out=buf)

        def part(g: np.ndarray) -> np.ndarray:
            return grad(g, x.data, buf, gx, tmp)

        def backward(g: np.ndarray) -> tuple:
            return (part(g),)

        backward.parts = (part,)
        return forward, backward, buf

    return lower


def _lower_relu(fn, ins, out, needs, param):
    """out = max(x, 0), positive = x > 0;  gx = g * positive."""
    (x,) = ins
    zero = zero_of(x.data.dtype)
    buf, positive, gx = (
        _buffer(out.data),
        np.empty(out.data.shape, bool),
        _buffer(out.data),
    )

    def forward() -> np.ndarray:
        np.greater(x.data, zero, out=positive)
        return np.maximum(x.data, zero, out=buf)

    def part(g: np.ndarray) -> np.ndarray:
        return np.multiply(g, positive, out=gx)

    def backward(g: np.ndarray) -> tuple:
        return (part(g),)

    backward.parts = (part,)
    return forward, backward, buf


def _tanh_grad(g, x, y, gx, tmp):  # g * (1 - y²)
    np.multiply(y, y, out=tmp)
    np.subtract(1, tmp, out=tmp)
    return np.multiply(g, tmp, out=gx)


def _sigmoid_forward(x: np.ndarray, out: np.ndarray) -> np.ndarray:
    from ..ops.elementwise import _stable_sigmoid

    out[...] = _stable_sigmoid(x)  # (np.where makes its own array: copied, exact)
    return out


def _sigmoid_grad(g, x, y, gx, tmp):  # g * y * (1 - y)
    np.multiply(g, y, out=gx)
    np.subtract(1, y, out=tmp)
    return np.multiply(gx, tmp, out=gx)


def _lower_sum(fn, ins, out, needs, param):
    """out = Σ_axes x;  gx = g put back over the summed axes (a filled copy)."""
    (x,) = ins
    axis, keepdims = param("axis"), param("keepdims")
    from ..ops._util import keepdims_shape, normalize_axes

    axes = normalize_axes(axis, x.data.ndim, "sum")
    keep_shape = keepdims_shape(x.data.shape, axes)
    buf, gx = _buffer(out.data), _buffer(x.data)

    def forward() -> np.ndarray:  # (x.sum(...) is np.add.reduce; np.sum adds a layer)
        return np.add.reduce(x.data, axis=axes, keepdims=keepdims, out=buf)

    def part(g: np.ndarray) -> np.ndarray:
        gx[...] = g.reshape(keep_shape)
        return gx

    def backward(g: np.ndarray) -> tuple:
        return (part(g),)

    backward.parts = (part,)
    return forward, backward, buf


def _lower_cross_entropy(fn, ins, out, needs, param):
    """The fused softmax cross-entropy, step by step as CrossEntropy does it."""
    (x,) = ins
    reduction = param("reduction")
    if x.data.ndim != 2 or reduction == "none":
        return None
    n = x.data.shape[0]
    rows = np.arange(n)
    m, e = np.empty((n, 1), x.data.dtype), _buffer(x.data)
    total, lse = np.empty((n, 1), x.data.dtype), np.empty(n, x.data.dtype)
    losses, buf, gx = np.empty(n, x.data.dtype), _buffer(out.data), _buffer(x.data)
    saved = [None]

    def forward() -> np.ndarray:
        data, targets = x.data, param("targets")
        np.maximum.reduce(data, axis=1, keepdims=True, out=m)
        np.subtract(data, m, out=e)
        np.exp(e, out=e)
        np.add.reduce(e, axis=1, keepdims=True, out=total)
        np.log(total[:, 0], out=lse)
        np.add(lse, m[:, 0], out=lse)
        np.subtract(lse, data[rows, targets], out=losses)
        np.divide(e, total, out=e)  # softmax, in place
        saved[0] = targets
        s = np.add.reduce(losses)
        buf[...] = s / n if reduction == "mean" else s
        return buf

    def backward(g: np.ndarray) -> tuple:
        if reduction == "mean":
            g = g * (1.0 / n)
        np.multiply(e, g, out=gx)
        gx[rows, saved[0]] -= g
        return (gx,)

    return forward, backward, buf


def _lower_hinge(fn, ins, out, needs, param):
    """HingeLoss / PerceptronLoss (mean or sum), as their forward and backward."""
    s, y = ins
    reduction = param("reduction")
    if reduction == "none":
        return None
    short = np.empty(np.broadcast_shapes(s.data.shape, y.data.shape), out.data.dtype)
    losses, mistakes_b = np.empty_like(short), np.empty(short.shape, bool)
    mistakes, scale = np.empty_like(short), np.empty_like(short)
    buf, gs, gy = _buffer(out.data), _buffer(short), _buffer(short)
    size = short.size
    zero = zero_of(short.dtype)
    compare = np.greater_equal if fn.boundary_is_mistake else np.greater

    def forward() -> np.ndarray:
        np.multiply(y.data, s.data, out=short)
        np.subtract(fn.margin, short, out=short)
        np.maximum(short, zero, out=losses)
        compare(short, zero, out=mistakes_b)
        np.copyto(mistakes, mistakes_b)  # (astype: exact)
        total = np.add.reduce(losses, axis=None)
        if reduction == "mean":
            return np.divide(total, size, out=buf)
        buf[...] = total
        return buf

    def backward(g: np.ndarray) -> tuple:
        if reduction == "mean":
            g = g * (1.0 / mistakes.size)
        np.multiply(g, mistakes, out=scale)
        grad_s = grad_y = None
        if needs[0]:
            grad_s = np.negative(np.multiply(scale, y.data, out=gs), out=gs)
        if needs[1]:
            grad_y = np.negative(np.multiply(scale, s.data, out=gy), out=gy)
        return grad_s, grad_y

    if s.data.shape != short.shape or y.data.shape != short.shape:
        return None
    return forward, backward, buf


def _lower_reshape(fn, ins, out, needs, param):
    """out = x.reshape(shape) (a view, made again each call: x may be new);
    gx = g.reshape(x's shape) (a view of g: passed on, not a buffer of its own)."""
    (x,) = ins
    shape, in_shape = param("shape"), x.data.shape

    def forward() -> np.ndarray:
        return x.data.reshape(shape)

    def part(g: np.ndarray) -> np.ndarray:
        return g.reshape(in_shape)

    def backward(g: np.ndarray) -> tuple:
        return (part(g),)

    backward.passes, backward.parts = (0,), (part,)
    return forward, backward, None  # (no buffer: a view, made each call)


def _lower_l2_penalty(fn, ins, out, needs, param):
    """Σ_k Σ p_k² with np.vdot per parameter;  gp_k = (2 g) p_k."""
    buf, twice = _buffer(out.data), _buffer(out.data)
    grads = [_buffer(p.data) for p in ins]
    dtype = out.data.dtype

    def forward() -> np.ndarray:
        total = 0.0
        for p in ins:
            total += np.vdot(p.data, p.data)
        buf[...] = np.asarray(total, dtype=dtype)
        return buf

    def backward(g: np.ndarray) -> tuple:
        np.multiply(g, 2, out=twice)
        return tuple(
            [
                np.multiply(twice, p.data, out=gp) if need else None
                for p, gp, need in zip(ins, grads, needs)
            ]
        )

    return forward, backward, buf


_LOWER: dict[str, Callable] = {
    "linear": _lower_linear,
    "matmul": _lower_matmul,
    "add": _binary(np.add, _passes, _passes),
    "subtract": _binary(np.subtract, _passes, _negated),
    "multiply": _binary(np.multiply, _times_b, _times_a),
    "divide": _binary(np.divide, _over_b, None),
    "relu": _lower_relu,
    "tanh": _unary(np.tanh, _tanh_grad),
    "sigmoid": _unary(_sigmoid_forward, _sigmoid_grad),
    "sum": _lower_sum,
    "reshape": _lower_reshape,
    "cross_entropy": _lower_cross_entropy,
    "hinge_loss": _lower_hinge,
    "perceptron_loss": _lower_hinge,
    "l2_penalty": _lower_l2_penalty,
}

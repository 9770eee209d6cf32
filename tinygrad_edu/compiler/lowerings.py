"""Lowerings: the common built-in ops as *instructions* on buffers made at trace time.

A lowering does an op's forward and backward with the *same NumPy calls in the same
order* as the op's own code (so the values are bit-identical), but each call writes
into an array allocated while tracing (``out=``) instead of a new array per call.
An op is lowered as a pair -- forward and backward -- because a lowered backward
reads what the lowered forward kept in its buffers, not ``ctx``. Every other op
(and every user ``Function``) replays through its own forward/backward.

An *instruction* is a tuple ``(f, x, y, out)``, run as ``f(x, y, out=out)`` (or
``f(x, out=out)`` when ``y`` is ``NO_ARG``). Its operands are bound while tracing:
an array that stays the same object at every call (a parameter, another lowered
op's buffer), or -- for a value that is new at every call, such as an argument --
the Tensor holding it, whose ``.data`` is read when the instruction runs. Because
nearly everything is bound, ``compiled.py`` can run long stretches of
instructions in one tight loop: the replay is close to hand-written NumPy.

Each ``_lower_<op>`` gets ``(fn, ins, out, needs, param, operand)`` -- the op, the
input sources, the eager output, which inputs want a gradient, ``param(key)``
(a keyword parameter's value) and ``operand(x)`` (what an instruction holds for
source x) -- and returns ``(forward, backward, buffer)``: ``forward`` a list of
instructions filling ``buffer`` (the output's array, the same at every call), and
``backward(g)``, called when the sweep reaches the op with the array the upstream
gradient will be in, returning ``(instructions, grads)``: one gradient array per
input (None where none is wanted). A maker returns None to decline (shapes it does
not handle). Nothing runs while tracing: the eager call computes the values; the
buffers are first filled by the replay.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..ops._util import keepdims_shape, reduction_axes, zero_of

NO_ARG = object()  # an instruction's ``y`` for a one-operand function


def _buffer(like: np.ndarray) -> np.ndarray:
    """An array allocated once, shaped like ``like`` (C order, as NumPy's results)."""
    return np.empty(like.shape, like.dtype)


def _const(value: float, dtype: np.dtype) -> np.ndarray:
    """A 0-d array for a Python number operand: the same value NumPy would convert
    the number to (a float32 op keeps float32), without a conversion per call."""
    return np.asarray(value, dtype=dtype)


# ---- instruction functions beyond NumPy's ufuncs: f(x[, y], out=...) ----------------


def fill(src: np.ndarray, out: np.ndarray) -> None:
    """out[...] = src (broadcast): a copy into a buffer."""
    np.copyto(out, src)


def call(run: Callable[[], None], out: None = None) -> None:
    """A closure as an instruction (a step too irregular for ``(f, x, y, out)``)."""
    run()


def _matmul_nt(a: np.ndarray, b: np.ndarray, out: np.ndarray) -> np.ndarray:
    return np.matmul(a, b.swapaxes(-1, -2), out=out)  # a bᵀ, b new at each call


def _matmul_tn(a: np.ndarray, b: np.ndarray, out: np.ndarray) -> np.ndarray:
    return np.matmul(a.swapaxes(-1, -2), b, out=out)  # aᵀ b, a new at each call


def _times_t(a: Any, b: Any, out: np.ndarray) -> tuple:
    """The instruction out = a bᵀ (the transposed view bound once when b is)."""
    if isinstance(b, np.ndarray):
        return (np.matmul, a, b.swapaxes(-1, -2), out)
    return (_matmul_nt, a, b, out)


def _t_times(a: Any, b: Any, out: np.ndarray) -> tuple:
    """The instruction out = aᵀ b."""
    if isinstance(a, np.ndarray):
        return (np.matmul, a.swapaxes(-1, -2), b, out)
    return (_matmul_tn, a, b, out)


# ---- the ops -----------------------------------------------------------------------


def _lower_linear(fn, ins, out, needs, param, operand):
    """out = x Wᵀ (+ b);  gx = g W,  gW = gᵀ x,  gb = Σ_rows g  (2-D x only)."""
    x, w = ins[0], ins[1]
    b = ins[2] if len(ins) == 3 else None
    if x.data.ndim != 2:
        return None
    X, W = operand(x), operand(w)
    buf = _buffer(out.data)
    forward = [_times_t(X, W, buf)]
    if b is not None:
        forward.append((np.add, buf, operand(b), buf))  # (out += bias)

    def backward(g: np.ndarray) -> tuple:
        prog, grads = [], [None] * len(ins)
        if needs[0]:
            grads[0] = _buffer(x.data)
            prog.append((np.matmul, g, W, grads[0]))
        if needs[1]:
            grads[1] = _buffer(w.data)
            prog.append(_t_times(g, X, grads[1]))
        if b is not None and needs[2]:
            grads[2] = _buffer(b.data)
            prog.append((np.add.reduce, g, 0, grads[2]))
        return prog, grads

    return forward, backward, buf


def _lower_matmul(fn, ins, out, needs, param, operand):
    """out = a @ b;  ga = g bᵀ,  gb = aᵀ g  (2-D @ 2-D only)."""
    a, b = ins
    if a.data.ndim != 2 or b.data.ndim != 2:
        return None
    A, B = operand(a), operand(b)
    buf = _buffer(out.data)

    def backward(g: np.ndarray) -> tuple:
        prog, grads = [], [None, None]
        if needs[0]:
            grads[0] = _buffer(a.data)
            prog.append(_times_t(g, B, grads[0]))
        if needs[1]:
            grads[1] = _buffer(b.data)
            prog.append(_t_times(A, g, grads[1]))
        return prog, grads

    return [(np.matmul, A, B, buf)], backward, buf


def _binary(ufunc: np.ufunc, grad_a: Callable, grad_b: Callable | None):
    """An elementwise op ``ufunc(a, b)``; ``grad_a(prog, g, A, B, buffer)`` adds the
    instructions of a's gradient and returns the array it will be in (``g`` itself
    for ``_passes``); ``grad_b`` b's (None: that gradient is not lowered)."""

    def lower(fn, ins, out, needs, param, operand):
        a, b = ins
        if needs[1] and grad_b is None:
            return None
        A, B = operand(a), operand(b)
        buf = _buffer(out.data)

        def backward(g: np.ndarray) -> tuple:
            prog, grads = [], [None, None]
            for i, part in enumerate((grad_a, grad_b)):
                if needs[i]:
                    grads[i] = part(prog, g, A, B, _buffer(out.data))
            return prog, grads

        return [(ufunc, A, B, buf)], backward, buf

    return lower


def _passes(prog, g, a, b, o):  # grad = g
    return g


def _negated(prog, g, a, b, o):  # grad = -g
    prog.append((np.negative, g, NO_ARG, o))
    return o


def _times_b(prog, g, a, b, o):  # grad = g * b
    prog.append((np.multiply, g, b, o))
    return o


def _times_a(prog, g, a, b, o):  # grad = g * a
    prog.append((np.multiply, g, a, o))
    return o


def _over_b(prog, g, a, b, o):  # grad = g / b
    prog.append((np.divide, g, b, o))
    return o


def _lower_relu(fn, ins, out, needs, param, operand):
    """out = max(x, 0), passes = out != 0 (NaN passes, as eager);  gx = g * passes."""
    (x,) = ins
    X, zero = operand(x), zero_of(x.data.dtype)
    buf, positive = _buffer(out.data), np.empty(out.data.shape, bool)
    forward = [(np.maximum, X, zero, buf), (np.not_equal, buf, zero, positive)]

    def backward(g: np.ndarray) -> tuple:
        gx = _buffer(out.data)
        return [(np.multiply, g, positive, gx)], [gx]

    return forward, backward, buf


def _sigmoid_into(x: np.ndarray, out: np.ndarray) -> None:
    from ..ops.elementwise import _stable_sigmoid

    out[...] = _stable_sigmoid(x)  # (np.where makes its own array: copied, exact)


def _unary(forward_fn: Callable, grad: Callable):
    """``out = forward_fn(x)``; ``grad(g, y, gx, tmp, one)``: the instructions of
    x's gradient from g and the output y (tmp: one scratch array)."""

    def lower(fn, ins, out, needs, param, operand):
        (x,) = ins
        buf = _buffer(out.data)
        one = _const(1, out.data.dtype)

        def backward(g: np.ndarray) -> tuple:
            gx, tmp = _buffer(out.data), _buffer(out.data)
            return grad(g, buf, gx, tmp, one), [gx]

        return [(forward_fn, operand(x), NO_ARG, buf)], backward, buf

    return lower


def _tanh_grad(g, y, gx, tmp, one) -> list:  # g * (1 - y²)
    return [
        (np.multiply, y, y, tmp),
        (np.subtract, one, tmp, tmp),
        (np.multiply, g, tmp, gx),
    ]


def _sigmoid_grad(g, y, gx, tmp, one) -> list:  # g * y * (1 - y)
    return [
        (np.multiply, g, y, gx),
        (np.subtract, one, y, tmp),
        (np.multiply, gx, tmp, gx),
    ]


def _lower_sum(fn, ins, out, needs, param, operand):
    """out = Σ_axes x;  gx = g put back over the summed axes (a filled copy)."""
    (x,) = ins
    axes = reduction_axes(param("axis"), x.data.ndim, "sum")
    keep_shape = keepdims_shape(x.data.shape, axes)
    buf = _buffer(out.data)
    kept = tuple(n for i, n in enumerate(x.data.shape) if i not in axes)
    target = buf.reshape(kept)  # (keepdims: the same memory without the 1s)

    def backward(g: np.ndarray) -> tuple:
        gx = _buffer(x.data)
        return [(fill, g.reshape(keep_shape), NO_ARG, gx)], [gx]

    # (x.sum(...) is np.add.reduce; np.sum adds a layer)
    return [(np.add.reduce, operand(x), axes, target)], backward, buf


def _lower_reshape(fn, ins, out, needs, param, operand):
    """out = x.reshape(shape): a view of x's buffer, made once (no instruction);
    gx = g.reshape(x's shape), a view of g. Only for a value that stays in place."""
    (x,) = ins
    X = operand(x)
    if not isinstance(X, np.ndarray):
        return None
    view = X.reshape(param("shape"))
    if not np.shares_memory(view, X):
        return None  # (a copy would not follow the buffer)

    def backward(g: np.ndarray) -> tuple:
        gx = g.reshape(X.shape)
        if np.shares_memory(gx, g):
            return [], [gx]
        gx = _buffer(X)
        return [(fill, g, NO_ARG, gx.reshape(g.shape))], [gx]

    return [], backward, view


def _lower_cross_entropy(fn, ins, out, needs, param, operand):
    """The fused softmax cross-entropy, step by step as CrossEntropy does it (one
    closure: its targets are read at each call, for a fancy index)."""
    (x,) = ins
    reduction = param("reduction")
    if x.data.ndim != 2 or reduction == "none":
        return None
    n = x.data.shape[0]
    rows = np.arange(n)
    m, e = np.empty((n, 1), x.data.dtype), _buffer(x.data)
    total, lse = np.empty((n, 1), x.data.dtype), np.empty(n, x.data.dtype)
    losses, buf = np.empty(n, x.data.dtype), _buffer(out.data)
    saved = [None]

    def forward() -> None:
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

    def backward(g: np.ndarray) -> tuple:
        gx = _buffer(x.data)

        def run() -> None:
            scaled = g * (1.0 / n) if reduction == "mean" else g
            np.multiply(e, scaled, out=gx)
            gx[rows, saved[0]] -= scaled

        return [(call, run, NO_ARG, None)], [gx]

    return [(call, forward, NO_ARG, None)], backward, buf


def _lower_hinge(fn, ins, out, needs, param, operand):
    """HingeLoss / PerceptronLoss (mean or sum), as their forward and backward."""
    s, y = ins
    reduction = param("reduction")
    if reduction == "none":
        return None
    short = np.empty(np.broadcast_shapes(s.data.shape, y.data.shape), out.data.dtype)
    if s.data.shape != short.shape or y.data.shape != short.shape:
        return None
    S, Y, dtype = operand(s), operand(y), short.dtype
    losses, mistakes = np.empty_like(short), np.empty(short.shape, bool)
    total = np.empty((), dtype)
    buf, zero = _buffer(out.data), zero_of(dtype)
    compare = np.greater_equal if fn.boundary_is_mistake else np.greater
    forward = [
        (np.multiply, Y, S, short),
        (np.subtract, _const(fn.margin, dtype), short, short),
        (np.maximum, short, zero, losses),
        (compare, short, zero, mistakes),  # (kept as bools: g·True = g·1.0 exactly)
        (np.add.reduce, losses, None, total),
    ]
    if reduction == "mean":
        forward.append((np.divide, total, short.size, buf))
    else:
        forward.append((fill, total, NO_ARG, buf))

    def backward(g: np.ndarray) -> tuple:
        prog, grads = [], [None, None]
        if reduction == "mean":
            scaled = np.empty((), dtype)
            prog.append((np.multiply, g, 1.0 / short.size, scaled))
            g = scaled
        scale = np.empty_like(short)
        prog.append((np.multiply, g, mistakes, scale))
        for i, other in ((0, Y), (1, S)):
            if needs[i]:
                grads[i] = np.empty_like(short)
                prog.append((np.multiply, scale, other, grads[i]))
                prog.append((np.negative, grads[i], NO_ARG, grads[i]))
        return prog, grads

    return forward, backward, buf


def _sum_squares(arrays: tuple, out: np.ndarray) -> None:
    """Σ_k p_k·p_k with np.vdot, summed in a Python float, as SumOfSquares does."""
    total = 0.0
    for p in arrays:
        total += np.vdot(p, p)
    out[...] = total  # (one rounding to out's dtype, as np.asarray(total, dtype))


def _lower_l2_penalty(fn, ins, out, needs, param, operand):
    """Σ_k Σ p_k² with np.vdot per parameter;  gp_k = (2 g) p_k."""
    arrays = tuple(operand(p) for p in ins)
    if not all(isinstance(p, np.ndarray) for p in arrays):
        return None  # (only for values that stay in place: parameters)
    buf = _buffer(out.data)

    def backward(g: np.ndarray) -> tuple:
        twice = _buffer(out.data)
        prog = [(np.multiply, g, _const(2, out.data.dtype), twice)]
        grads = [_buffer(p) if need else None for p, need in zip(arrays, needs)]
        for p, gp in zip(arrays, grads):
            if gp is not None:
                prog.append((np.multiply, twice, p, gp))
        return prog, grads

    return [(_sum_squares, arrays, NO_ARG, buf)], backward, buf


_LOWER: dict[str, Callable] = {
    "linear": _lower_linear,
    "matmul": _lower_matmul,
    "add": _binary(np.add, _passes, _passes),
    "subtract": _binary(np.subtract, _passes, _negated),
    "multiply": _binary(np.multiply, _times_b, _times_a),
    "divide": _binary(np.divide, _over_b, None),
    "relu": _lower_relu,
    "tanh": _unary(np.tanh, _tanh_grad),
    "sigmoid": _unary(_sigmoid_into, _sigmoid_grad),
    "sum": _lower_sum,
    "reshape": _lower_reshape,
    "cross_entropy": _lower_cross_entropy,
    "hinge_loss": _lower_hinge,
    "perceptron_loss": _lower_hinge,
    "l2_penalty": _lower_l2_penalty,
}

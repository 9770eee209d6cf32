"""NumPy's "Mathematical functions" that the lecture's ops left out: exponents and
logarithms (log1p, expm1, logaddexp; log2, log10, exp2 as composites), rounding
(sign floor ceil round trunc: gradient 0, as PyTorch), remainders (mod, fmod),
NaN-ignoring extrema (fmax, fmin), nan_to_num, and sums/products/differences along
an axis (cumsum, cumprod, diff).

Primitives carry a backward formula; composites say "composite" and get their
gradient from their parts.

Read next: ``ops/arrange.py`` (moving elements around).
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

from ..autograd import Context, Function
from ..tensor import Tensor, as_tensor
from ._util import backend, normalize_axes, operands
from .binary import _Binary, where
from .elementwise import exp, log
from .shape import getitem, reshape, swapaxes
from .nograd import no_grad_result
from .trig import _Elementwise

# ---- exponents and logarithms ------------------------------------------------------


class Log1p(_Elementwise):
    """out = ln(1 + x) (accurate for tiny x);   grad_x = grad / (1 + x)"""

    name = "log1p"
    ufunc = staticmethod(np.log1p)

    @staticmethod
    def derivative(x: Any, out: Any) -> Any:
        return 1 / (1 + x)


class Expm1(_Elementwise):
    """out = e^x - 1 (accurate for tiny x);   grad_x = grad * (out + 1)"""

    name = "expm1"
    ufunc = staticmethod(np.expm1)

    @staticmethod
    def derivative(x: Any, out: Any) -> Any:
        return out + 1


class LogAddExp(_Binary):
    """out = ln(e^a + e^b) (stable);   grad_a = grad * e^(a - out),   grad_b = grad *
    e^(b - out)"""

    name = "logaddexp"
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.logaddexp(a, b)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple:
        a, b = ctx.values
        xp, out = backend(a), ctx.out
        need_a, need_b = ctx.needs_input_grad
        return (grad * xp.exp(a - out) if need_a else None), (
            grad * xp.exp(b - out) if need_b else None
        )


# ---- rounding: piecewise constant, so the gradient is 0 ----------------------------


class _Step(Function):
    """out = a step function of x;   grad_x = 0 (also at the jumps, as PyTorch)"""

    differentiable_backward = True
    ufunc: ClassVar[Any] = None

    @classmethod
    def forward(cls, ctx: Context, x: np.ndarray) -> np.ndarray:
        return cls.ufunc(x)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        zeros = np.zeros(grad.shape, dtype=grad.dtype)
        return Tensor._from_array(zeros) if isinstance(grad, Tensor) else zeros


class Sign(_Step):
    """out = -1, 0 or 1 by the sign of x;   grad_x = 0"""

    name = "sign"
    ufunc = staticmethod(np.sign)


class Floor(_Step):
    """out = ⌊x⌋;   grad_x = 0"""

    name = "floor"
    ufunc = staticmethod(np.floor)


class Ceil(_Step):
    """out = ⌈x⌉;   grad_x = 0"""

    name = "ceil"
    ufunc = staticmethod(np.ceil)


class Trunc(_Step):
    """out = x rounded towards 0;   grad_x = 0"""

    name = "trunc"
    ufunc = staticmethod(np.trunc)


class Round(_Step):
    """out = x rounded to ``decimals`` (halves to even, as NumPy);   grad_x = 0"""

    name = "round"

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, decimals: int = 0) -> np.ndarray:
        return np.round(x, decimals)


# ---- remainders --------------------------------------------------------------------


class Mod(_Binary):
    """out = a - q·b, q = ⌊a / b⌋ (sign of b, as ``np.mod``);   grad_a = grad,
    grad_b = -grad * q"""

    name = "mod"
    differentiable_backward = True
    ufunc: ClassVar[Any] = staticmethod(np.mod)

    @classmethod
    def forward(cls, ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        with np.errstate(
            divide="ignore", invalid="ignore"
        ):  # b == 0 gives nan, as NumPy
            out = cls.ufunc(a, b)
            # the integer quotient that out was reduced by: locally constant in a and b
            ctx.save_for_backward(np.round((a - out) / b).astype(out.dtype, copy=False))
        return out

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple:
        (quotient,) = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        return (grad if need_a else None), (-grad * quotient if need_b else None)


class Fmod(Mod):
    """out = a - q·b, q = trunc(a / b) (sign of a, as C's fmod);   grad_a = grad,
    grad_b = -grad * q"""

    name = "fmod"
    ufunc = staticmethod(np.fmod)


# ---- sums and products along an axis -----------------------------------------------


def _one_axis(x: Any, axis: Any, op: str) -> tuple[Tensor, int]:
    """x and a single non-negative axis; ``axis=None`` means the flattened x (NumPy)."""
    x = as_tensor(x)
    if axis is None:
        return reshape(x, -1), 0
    if not isinstance(axis, (int, np.integer)):
        raise TypeError(f"{op}: axis must be an int or None, got {axis!r}")
    (axis,) = normalize_axes(axis, x.ndim, op)
    return x, axis


def _reverse_cumsum(g: Any, axis: int) -> Any:
    """Σ_{j ≥ i} g_j along ``axis``: the adjoint of cumsum (arrays or Tensors)."""
    xp = backend(g)
    return xp.flip(xp.cumsum(xp.flip(g, axis), axis), axis)


class Cumsum(Function):
    """out_i = Σ_{j ≤ i} x_j;   grad_x_i = Σ_{j ≥ i} grad_j  (a reversed
    cumsum)"""

    name = "cumsum"
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, axis: int = 0) -> np.ndarray:
        ctx.axis = axis
        return np.cumsum(x, axis=axis)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        return _reverse_cumsum(grad, ctx.axis)


class Cumprod(Function):
    """out_i = Π_{j ≤ i} x_j;   grad_x_i = Σ_{j ≥ i} grad_j · out_j / x_i   (x
    ≠ 0; ``cumprod`` takes an exact composite path when x holds zeros)"""

    name = "cumprod"
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, axis: int = 0) -> np.ndarray:
        ctx.axis = axis
        return np.cumprod(x, axis=axis)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        (x,) = ctx.values
        return _reverse_cumsum(grad * ctx.out, ctx.axis) / x


def _cumprod_with_zeros(x: Tensor, axis: int) -> Tensor:
    """out_k = prod(x_0..x_k) as a masked product over an (n, n) grid (composite).

    O(n²) memory along the axis, but ``prod``'s backward is exact where x has zeros,
    which the division in Cumprod's formula is not.
    """
    moved = swapaxes(x, axis, -1)
    n = moved.shape[-1]
    upto = np.tri(n, dtype=bool)  # row k keeps x_0..x_k, the rest become 1
    grid = where(upto, moved.expand_dims(-2), 1)
    return swapaxes(grid.prod(axis=-1), axis, -1)


# ---- the functional API ----------------------------------------------------------


def log1p(x: Any) -> Tensor:
    """ln(1 + x), accurate for tiny x, as ``np.log1p``."""
    return Log1p.apply(x)


def expm1(x: Any) -> Tensor:
    """e^x - 1, accurate for tiny x, as ``np.expm1``."""
    return Expm1.apply(x)


def log2(x: Any) -> Tensor:
    """Base-2 logarithm (composite: ln x / ln 2).

    >>> import tinygrad_edu as tg
    >>> tg.log2(tg.Tensor([8.0])).tolist()
    [3.0]
    """
    return log(x) * (1 / math.log(2))


def log10(x: Any) -> Tensor:
    """Base-10 logarithm (composite: ln x / ln 10)."""
    return log(x) * (1 / math.log(10))


def exp2(x: Any) -> Tensor:
    """2 ** x (composite: e^(x ln 2))."""
    return exp(as_tensor(x) * math.log(2))


def logaddexp(a: Any, b: Any) -> Tensor:
    """ln(e^a + e^b) without overflow, broadcasting like ``np.logaddexp``.

    >>> import tinygrad_edu as tg
    >>> tg.logaddexp(tg.Tensor(1000.0), 1000.0).item() - 1000  # ln 2
    0.693...
    """
    return LogAddExp.apply(a, b)


def sign(x: Any) -> Tensor:
    """-1, 0 or 1 by the sign of x; gradient 0 (as PyTorch)."""
    return Sign.apply(x)


def floor(x: Any) -> Tensor:
    """The largest integer ≤ x (a float tensor for float x); gradient 0."""
    return Floor.apply(x)


def ceil(x: Any) -> Tensor:
    """The smallest integer ≥ x; gradient 0."""
    return Ceil.apply(x)


def trunc(x: Any) -> Tensor:
    """x rounded towards 0; gradient 0."""
    return Trunc.apply(x)


def round(x: Any, decimals: int = 0) -> Tensor:  # noqa: A001 - NumPy's name
    """Round to ``decimals`` places, halves to even (as ``np.round``); gradient 0.

    >>> import tinygrad_edu as tg
    >>> tg.round(tg.Tensor([0.5, 1.5, 2.5]), 0).tolist()
    [0.0, 2.0, 2.0]
    """
    if not isinstance(decimals, (int, np.integer)):
        raise TypeError(f"round: decimals must be an int, got {decimals!r}")
    return Round.apply(x, decimals=int(decimals))


def mod(a: Any, b: Any) -> Tensor:
    """Remainder with the sign of ``b`` (Python's ``%``, ``np.mod``); also ``a % b``.

    >>> import tinygrad_edu as tg
    >>> (tg.Tensor([-3.0, 3.0]) % 2).tolist()
    [1.0, 1.0]
    """
    return Mod.apply(a, b)


def fmod(a: Any, b: Any) -> Tensor:
    """Remainder with the sign of ``a`` (C's fmod, ``np.fmod``).

    >>> import tinygrad_edu as tg
    >>> tg.fmod(tg.Tensor([-3.0, 3.0]), 2).tolist()
    [-1.0, 1.0]
    """
    return Fmod.apply(a, b)


def _extremum_ignoring_nan(name: str, a: Any, b: Any, a_wins: np.ufunc) -> Tensor:
    """a where ``a_wins(a, b)`` (a tie counts) or b is NaN, else b: one ``where``, so
    the whole gradient goes to the input picked, as PyTorch's fmax/fmin (a tie
    and two NaNs pick a)."""
    a, b = operands(a, b, name)

    def picks_a(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return a_wins(a, b) | np.isnan(b)

    # (an op, not a mask made from .data: compile replays it with each call's values)
    return where(no_grad_result(name, picks_a, a, b), a, b)


def fmax(a: Any, b: Any) -> Tensor:
    """Elementwise maximum that ignores NaN (``np.fmax``; composite of where).

    >>> import tinygrad_edu as tg
    >>> tg.fmax(tg.Tensor([1.0, float("nan")]), 0.5).tolist()
    [1.0, 0.5]
    """
    return _extremum_ignoring_nan("fmax", a, b, np.greater_equal)


def fmin(a: Any, b: Any) -> Tensor:
    """Elementwise minimum that ignores NaN (``np.fmin``; composite of where)."""
    return _extremum_ignoring_nan("fmin", a, b, np.less_equal)


def nan_to_num(
    x: Any, copy: bool = True, nan: float = 0.0, posinf: Any = None, neginf: Any = None
) -> Tensor:
    """NaN and ±inf replaced by finite numbers, as ``np.nan_to_num`` (composite: a
    ``where``; replaced elements get no gradient). Always returns a new tensor."""
    x = as_tensor(x)

    def replace(a: np.ndarray) -> np.ndarray:
        return np.nan_to_num(a, copy=True, nan=nan, posinf=posinf, neginf=neginf)

    # (ops, not arrays made from x.data: compile replays them with each call's x)
    finite = no_grad_result("isfinite", np.isfinite, x)
    return where(finite, x, no_grad_result("nan_to_num", replace, x))


def cumsum(x: Any, axis: Any = None) -> Tensor:
    """Running sum along ``axis`` (None: of the flattened x), as ``np.cumsum``.

    >>> import tinygrad_edu as tg
    >>> tg.cumsum(tg.Tensor([1.0, 2.0, 3.0])).tolist()
    [1.0, 3.0, 6.0]
    """
    x, axis = _one_axis(x, axis, "cumsum")
    return Cumsum.apply(x, axis=axis)


def cumprod(x: Any, axis: Any = None) -> Tensor:
    """Running product along ``axis`` (None: of the flattened x), as ``np.cumprod``.

    Exact gradients with zeros too (then an O(n²) composite path is taken).

    >>> import tinygrad_edu as tg
    >>> tg.cumprod(tg.Tensor([1.0, 2.0, 3.0])).tolist()
    [1.0, 2.0, 6.0]
    """
    x, axis = _one_axis(x, axis, "cumprod")
    if x.requires_grad and x.data.size and not np.all(x.data):
        return _cumprod_with_zeros(x, axis)
    return Cumprod.apply(x, axis=axis)


def diff(x: Any, n: int = 1, axis: int = -1) -> Tensor:
    """The n-th discrete difference along ``axis``, as ``np.diff`` (composite).

    >>> import tinygrad_edu as tg
    >>> tg.diff(tg.Tensor([1.0, 4.0, 9.0, 16.0]), n=2).tolist()
    [2.0, 2.0]
    """
    x = as_tensor(x)
    if not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"diff: order n must be a non-negative int, got {n!r}")
    if x.ndim == 0:
        raise ValueError("diff: needs at least a 1-D tensor, got a 0-d one")
    (axis,) = normalize_axes(axis, x.ndim, "diff")
    before = (slice(None),) * axis
    for _ in range(n):
        x = getitem(x, before + (slice(1, None),)) - getitem(
            x, before + (slice(None, -1),)
        )
    return x

"""Trigonometric and hyperbolic functions beyond sin/cos/tanh: tan, the inverse trig
and hyperbolic family, arctan2, hypot, sinc (NumPy's "Trigonometric functions" and
"Hyperbolic functions").

Every one is a primitive: ``out = f(x)`` and ``grad_x = grad * f'(x)``, the
derivative written next to the forward. The derivatives are written with ``xp =
backend(x)``, so the same line runs on arrays in an ordinary backward and records a
graph under ``create_graph=True``.

Read next: ``ops/mathematical.py`` (exponents, logarithms, rounding, sums).
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

from ..autograd import Context, Function
from ..tensor import Tensor
from ._util import backend
from .binary import _Binary


class _Elementwise(Function):
    """out = ufunc(x);   grad_x = grad * derivative(x, out)   (one subclass per
    function)"""

    differentiable_backward = True
    ufunc: ClassVar[Any] = None

    @classmethod
    def forward(cls, ctx: Context, x: np.ndarray) -> np.ndarray:
        return cls.ufunc(x)

    @classmethod
    def backward(cls, ctx: Context, grad: Any) -> Any:
        (x,) = ctx.values
        return grad * cls.derivative(x, ctx.out)

    @staticmethod
    def derivative(x: Any, out: Any) -> Any:
        raise NotImplementedError(
            "abstract: an _Elementwise subclass defines derivative"
        )


class Tan(_Elementwise):
    """out = tan x;   grad_x = grad * (1 + out²)"""

    name = "tan"
    ufunc = staticmethod(np.tan)

    @staticmethod
    def derivative(x: Any, out: Any) -> Any:
        return 1 + out * out


class Sinh(_Elementwise):
    """out = sinh x;   grad_x = grad * cosh x"""

    name = "sinh"
    ufunc = staticmethod(np.sinh)

    @staticmethod
    def derivative(x: Any, out: Any) -> Any:
        return backend(x).cosh(x)


class Cosh(_Elementwise):
    """out = cosh x;   grad_x = grad * sinh x"""

    name = "cosh"
    ufunc = staticmethod(np.cosh)

    @staticmethod
    def derivative(x: Any, out: Any) -> Any:
        return backend(x).sinh(x)


class Arcsin(_Elementwise):
    """out = arcsin x;   grad_x = grad / sqrt(1 - x²)"""

    name = "arcsin"
    ufunc = staticmethod(np.arcsin)

    @staticmethod
    def derivative(x: Any, out: Any) -> Any:
        return 1 / backend(x).sqrt(1 - x * x)


class Arccos(_Elementwise):
    """out = arccos x;   grad_x = -grad / sqrt(1 - x²)"""

    name = "arccos"
    ufunc = staticmethod(np.arccos)

    @staticmethod
    def derivative(x: Any, out: Any) -> Any:
        return -1 / backend(x).sqrt(1 - x * x)


class Arctan(_Elementwise):
    """out = arctan x;   grad_x = grad / (1 + x²)"""

    name = "arctan"
    ufunc = staticmethod(np.arctan)

    @staticmethod
    def derivative(x: Any, out: Any) -> Any:
        return 1 / (1 + x * x)


class Arcsinh(_Elementwise):
    """out = arcsinh x;   grad_x = grad / sqrt(x² + 1)"""

    name = "arcsinh"
    ufunc = staticmethod(np.arcsinh)

    @staticmethod
    def derivative(x: Any, out: Any) -> Any:
        return 1 / backend(x).sqrt(x * x + 1)


class Arccosh(_Elementwise):
    """out = arccosh x (x ≥ 1);   grad_x = grad / sqrt(x² - 1)"""

    name = "arccosh"
    ufunc = staticmethod(np.arccosh)

    @staticmethod
    def derivative(x: Any, out: Any) -> Any:
        return 1 / backend(x).sqrt(x * x - 1)


class Arctanh(_Elementwise):
    """out = arctanh x (|x| < 1);   grad_x = grad / (1 - x²)"""

    name = "arctanh"
    ufunc = staticmethod(np.arctanh)

    @staticmethod
    def derivative(x: Any, out: Any) -> Any:
        return 1 / (1 - x * x)


# sinc'(x) = π²x · Σₖ cₖ (πx)^(2k−2), cₖ = (−1)ᵏ 2k / (2k+1)!  (k = 1, 2, ...): the
# Taylor series of (cos πx − sinc x) / x. Ten terms are exact to float64 for |x| < 1/4.
_SINC_SERIES = tuple(
    (-1) ** k * 2 * k / math.factorial(2 * k + 1) for k in range(1, 11)
)
_SINC_SMALL = 0.25


def _sinc_slope_series(x: Any) -> Any:
    """sinc'(x) for small |x|, as a polynomial: its own derivatives are right at 0."""
    s = (np.pi * x) * (np.pi * x)
    poly = _SINC_SERIES[-1]
    for c in reversed(_SINC_SERIES[:-1]):
        poly = poly * s + c  # Horner
    return (np.pi * np.pi) * x * poly


class Sinc(Function):
    """out = sin(πx) / (πx), 1 at 0;   grad_x = grad * (cos(πx) - out) / x, and its
    Taylor series for |x| < 1/4 (0 at x = 0)

    The series makes every derivative right at and near 0 (the second is -π²/3 at
    0), where the quotient is 0/0 and, under create_graph, a guard's 0 would be
    differentiated instead of the function (PyTorch gives NaN there). It also
    avoids the quotient's cancellation, cos(πx) ≈ out, for small x.
    """

    name = "sinc"
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        # not np.sinc: its 1e-20 guard underflows to 0 in float16 and gives 0/0 at 0
        zero = x == 0
        y = np.pi * np.where(zero, 1, x)
        return np.where(zero, 1, np.sin(y) / y)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        (x,) = ctx.values
        xp = backend(x)
        small = np.abs(x.data if isinstance(x, Tensor) else x) < _SINC_SMALL
        if not small.any():
            return grad * ((xp.cos(np.pi * x) - ctx.out) / x)
        # each branch sees only arguments where it is finite: where() passes a zero
        # gradient to the branch not taken, and 0 * inf would still be NaN
        far_x = xp.where(small, 1, x)
        far = (xp.cos(np.pi * far_x) - xp.where(small, 1, ctx.out)) / far_x
        return grad * xp.where(small, _sinc_slope_series(xp.where(small, x, 0)), far)


class Arctan2(_Binary):
    """out = arctan2(y, x);   grad_y = grad * x / r²,   grad_x = -grad * y / r²  (r =
    hypot(x, y)); both 0 at the origin, as PyTorch"""

    name = "arctan2"
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Context, y: np.ndarray, x: np.ndarray) -> np.ndarray:
        return np.arctan2(y, x)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple:
        y, x = ctx.values
        need_y, need_x = ctx.needs_input_grad
        # (x / r) / r with r = hypot(y, x), not x / (x² + y²): x² + y² under- or
        # overflows (1e-30² = 0 in float32) where the gradient itself is representable
        xp = backend(x)
        r = xp.hypot(y, x)
        # at the origin x = y = 0: dividing by 1 instead of r = 0 gives PyTorch's 0
        # (0/0 there would be NaN); the mask is constant, so create_graph still works
        origin = (r.data if isinstance(r, Tensor) else r) == 0
        if origin.any():
            r = xp.where(origin, 1, r)
        return (grad * (x / r) / r if need_y else None), (
            -grad * (y / r) / r if need_x else None
        )


class Hypot(_Binary):
    """out = sqrt(a² + b²) (no overflow);   grad_a = grad * a / out,   grad_b = grad *
    b / out"""

    name = "hypot"
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.hypot(a, b)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple:
        a, b = ctx.values
        need_a, need_b = ctx.needs_input_grad
        out = ctx.out  # a / out ≤ 1: no overflow on the way to the gradient
        return (grad * (a / out) if need_a else None), (
            grad * (b / out) if need_b else None
        )


# ---- the functional API ----------------------------------------------------------


def tan(x: Any) -> Tensor:
    """Tangent elementwise, as ``np.tan``.

    >>> import tinygrad_edu as tg
    >>> round(tg.tan(tg.Tensor(0.5)).item(), 4)
    0.5463
    """
    return Tan.apply(x)


def sinh(x: Any) -> Tensor:
    """Hyperbolic sine elementwise, as ``np.sinh``."""
    return Sinh.apply(x)


def cosh(x: Any) -> Tensor:
    """Hyperbolic cosine elementwise, as ``np.cosh``."""
    return Cosh.apply(x)


def arcsin(x: Any) -> Tensor:
    """Inverse sine elementwise (``nan`` outside [-1, 1], as NumPy)."""
    return Arcsin.apply(x)


def arccos(x: Any) -> Tensor:
    """Inverse cosine elementwise (``nan`` outside [-1, 1], as NumPy)."""
    return Arccos.apply(x)


def arctan(x: Any) -> Tensor:
    """Inverse tangent elementwise, as ``np.arctan``."""
    return Arctan.apply(x)


def arcsinh(x: Any) -> Tensor:
    """Inverse hyperbolic sine elementwise, as ``np.arcsinh``."""
    return Arcsinh.apply(x)


def arccosh(x: Any) -> Tensor:
    """Inverse hyperbolic cosine elementwise (x ≥ 1), as ``np.arccosh``."""
    return Arccosh.apply(x)


def arctanh(x: Any) -> Tensor:
    """Inverse hyperbolic tangent elementwise (|x| < 1), as ``np.arctanh``."""
    return Arctanh.apply(x)


def sinc(x: Any) -> Tensor:
    """The normalised sinc sin(πx)/(πx) (1 at 0), as ``np.sinc``.

    >>> import tinygrad_edu as tg
    >>> tg.sinc(tg.Tensor([0.0, 0.5])).tolist()  # 2/π at 0.5
    [1.0, 0.636...]
    """
    return Sinc.apply(x)


def arctan2(y: Any, x: Any) -> Tensor:
    """The angle of the point (x, y), in (-π, π], broadcasting like ``np.arctan2``.

    >>> import tinygrad_edu as tg
    >>> round(tg.arctan2(1.0, tg.Tensor(-1.0)).item(), 4)
    2.3562
    """
    return Arctan2.apply(y, x)


def hypot(a: Any, b: Any) -> Tensor:
    """sqrt(a² + b²) without overflow, broadcasting like ``np.hypot``.

    >>> import tinygrad_edu as tg
    >>> tg.hypot(tg.Tensor([3.0]), 4.0).tolist()
    [5.0]
    """
    return Hypot.apply(a, b)

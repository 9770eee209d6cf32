"""Unary elementwise ops and the lecture's activation functions.

Primitives carry their own backward; ``square`` and ``gelu`` are composites whose
gradient comes from their parts. The stable formulas matter: sigmoid and softplus
never compute ``exp`` of a large positive number.

Read next: ``ops/reduce.py``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..autograd import Context, Function
from ..tensor import Tensor, as_tensor
from ._util import backend, real_number, zero_of


class Neg(Function):
    """out = -x;   grad_x = -grad"""

    name = "negative"
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        return -x

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        return -grad


class Exp(Function):
    """out = e^x;   grad_x = grad * out"""

    name = "exp"
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        return np.exp(x)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        return grad * ctx.out


class Log(Function):
    """out = ln x;   grad_x = grad / x"""

    name = "log"
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        return np.log(x)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        (x,) = ctx.values
        return grad / x


class Sqrt(Function):
    """out = sqrt(x);   grad_x = grad / (2 * out)"""

    name = "sqrt"
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        return np.sqrt(x)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        return grad / (2 * ctx.out)


class Abs(Function):
    """out = |x|;   grad_x = grad * sign(x)   (0 at x = 0, as PyTorch)"""

    name = "abs"
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(np.sign(x))
        return np.abs(x)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        (sign,) = ctx.saved_tensors
        return grad * sign


class Sin(Function):
    """out = sin x;   grad_x = grad * cos x"""

    name = "sin"
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        return np.sin(x)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        (x,) = ctx.values
        return grad * backend(x).cos(x)


class Cos(Function):
    """out = cos x;   grad_x = -grad * sin x"""

    name = "cos"
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        return np.cos(x)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        (x,) = ctx.values
        return -grad * backend(x).sin(x)


class Tanh(Function):
    """out = tanh x;   grad_x = grad * (1 - out²)"""

    name = "tanh"
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        return np.tanh(x)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        out = ctx.out
        return grad * (1 - out * out)


def _stable_sigmoid(x: np.ndarray) -> np.ndarray:
    """σ(x) = 1 / (1 + e^-x), computed from e^-|x| ≤ 1 so nothing overflows."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


class Sigmoid(Function):
    """out = σ(x) = 1 / (1 + e^-x);   grad_x = grad * out * (1 - out)"""

    name = "sigmoid"
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        return _stable_sigmoid(x)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        out = ctx.out
        return grad * out * (1 - out)


class ReLU(Function):
    """out = max(0, x);   grad_x = grad * [out != 0]   (1 where x > 0 or x is NaN)

    Nothing is saved: out != 0 exactly where x > 0 or x is NaN (max keeps the NaN),
    so backward reads the output, as PyTorch's does (a mask per op would be a third
    of a long chain's memory). Its mask is "not x <= 0": NaN passes the gradient.
    """

    name = "relu"
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        return np.maximum(x, zero_of(x.dtype))

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        out = ctx.out
        return grad * (out != zero_of(out.dtype))  # (as fast as out > 0)


class LeakyReLU(Function):
    """out = max(s·x, x) (for 0 < s < 1);   grad_x = grad * (1 if x > 0 else s)"""

    name = "leaky_relu"
    differentiable_backward = True

    @staticmethod
    def forward(
        ctx: Context, x: np.ndarray, negative_slope: float = 0.01
    ) -> np.ndarray:
        # (an int or bool x gets a float result, as NumPy's x * 0.01 does)
        dtype = x.dtype if x.dtype.kind == "f" else np.dtype(np.float64)
        slope = np.where(x > zero_of(x.dtype), 1, negative_slope).astype(
            dtype, copy=False
        )
        ctx.save_for_backward(slope)
        return x * slope

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        (slope,) = ctx.saved_tensors
        return grad * slope


class ELU(Function):
    """out = x if x > 0 else α(e^x − 1);   grad_x = grad * (1 if x > 0 else out +
    α)   (α at 0, whose second derivative is PyTorch's 0)"""

    name = "elu"
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, alpha: float = 1.0) -> np.ndarray:
        zero = zero_of(x.dtype)
        positive = x > zero
        ctx.save_for_backward(positive)
        ctx.alpha = alpha
        # expm1 of min(x, 0): the branch not taken must not overflow either
        return np.where(positive, x, alpha * np.expm1(np.minimum(x, zero)))

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        (positive,) = ctx.saved_tensors
        out = ctx.out
        if isinstance(out, Tensor):  # create_graph: at x = 0, where out = 0, cut the
            out = out * (out.data != 0)  # slope α of out, as PyTorch's mask x < 0
        return grad * backend(grad).where(positive, 1.0, out + ctx.alpha)


class Softplus(Function):
    """out = ln(1 + e^x) (stable: logaddexp);   grad_x = grad * σ(x)"""

    name = "softplus"
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        out = np.logaddexp(0, x)  # (an int or bool x: NumPy's float result, as exp)
        return out.astype(x.dtype, copy=False) if x.dtype.kind == "f" else out

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        (x,) = ctx.values
        return grad * (x.sigmoid() if isinstance(x, Tensor) else _stable_sigmoid(x))


_erf_elementwise = np.frompyfunc(math.erf, 1, 1)


class Erf(Function):
    """out = erf(x) = 2/√π ∫₀ˣ e^(−t²) dt;   grad_x = grad * 2/√π *
    e^(−x²)"""

    name = "erf"
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        # NumPy has no erf; math.erf element by element is exact (and slowish)
        return np.asarray(
            _erf_elementwise(x), dtype=x.dtype if x.dtype.kind == "f" else np.float64
        )

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        (x,) = ctx.values
        return grad * (2 / math.sqrt(math.pi)) * backend(x).exp(-(x * x))


class Clip(Function):
    """out = min(max(x, lo), hi);   grad_x = grad * [lo <= x <= hi],
    grad_lo = grad * [x < lo < hi],   grad_hi = grad * [x > hi or hi < lo]

    PyTorch's clamp_backward: a tie goes to x; where lo > hi the result is hi, which
    gets the gradient. Number and array bounds are parameters (no gradient); Tensor
    bounds are inputs, so they get theirs (``clip`` decides).
    """

    name = "clip"
    differentiable_backward = True

    @staticmethod
    def forward(
        ctx: Context, x: np.ndarray, lo: Any = None, hi: Any = None
    ) -> np.ndarray:
        if lo is None:
            if hi is None:
                raise ValueError("clip: give lo, hi or both")
            inside = x <= hi
        elif hi is None:
            inside = x >= lo
        else:
            inside = (x >= lo) & (x <= hi)  # at the broadcast shape, as the output
        ctx.save_for_backward(inside)
        return np.clip(x, lo, hi)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        (inside,) = ctx.saved_tensors
        if len(ctx.needs_input_grad) == 1:  # number or array bounds
            return grad * inside
        need_x, need_lo, need_hi = ctx.needs_input_grad
        x, lo, hi = (v.data if isinstance(v, Tensor) else v for v in ctx.values)
        return (
            grad * inside if need_x else None,
            grad * ((x < lo) & (lo < hi)) if need_lo else None,
            grad * ((x > hi) | (hi < lo)) if need_hi else None,
        )


# ---- the functional API ----------------------------------------------------------


def negative(x: Any) -> Tensor:
    """``-x`` elementwise."""
    return Neg.apply(x)


def exp(x: Any) -> Tensor:
    """``e ** x`` elementwise.

    >>> import tinygrad_edu as tg
    >>> round(tg.exp(tg.Tensor(1.0)).item(), 4)
    2.7183
    """
    return Exp.apply(x)


def log(x: Any) -> Tensor:
    """Natural logarithm elementwise (``-inf`` at 0 and ``nan`` below, as NumPy)."""
    return Log.apply(x)


def sqrt(x: Any) -> Tensor:
    """Square root elementwise."""
    return Sqrt.apply(x)


def square(x: Any) -> Tensor:
    """``x * x`` (composite: its gradient comes from its parts)."""
    x = as_tensor(x, op="square")
    return x * x


def abs(x: Any) -> Tensor:  # noqa: A001 - NumPy's name
    """``|x|`` elementwise; the gradient at 0 is 0."""
    return Abs.apply(x)


def sin(x: Any) -> Tensor:
    """Sine elementwise."""
    return Sin.apply(x)


def cos(x: Any) -> Tensor:
    """Cosine elementwise."""
    return Cos.apply(x)


def tanh(x: Any) -> Tensor:
    """Hyperbolic tangent, the lecture's zero-centred squashing activation."""
    return Tanh.apply(x)


def sigmoid(x: Any) -> Tensor:
    """The logistic function σ(x) = 1 / (1 + e^-x), stable for any x.

    >>> import tinygrad_edu as tg
    >>> tg.sigmoid(tg.Tensor([-1e4, 0.0, 1e4])).tolist()
    [0.0, 0.5, 1.0]
    """
    return Sigmoid.apply(x)


def relu(x: Any) -> Tensor:
    """ReLU max(0, x); the gradient at 0 is 0, as PyTorch.

    >>> import tinygrad_edu as tg
    >>> tg.relu(tg.Tensor([-2.0, 3.0])).tolist()
    [0.0, 3.0]
    """
    return ReLU.apply(x)


def leaky_relu(x: Any, negative_slope: float = 0.01) -> Tensor:
    """Leaky ReLU: x for x > 0, else ``negative_slope * x`` (the lecture uses 0.1).

    >>> import tinygrad_edu as tg
    >>> tg.leaky_relu(tg.Tensor([-2.0, 3.0]), 0.1).tolist()
    [-0.2..., 3.0]
    """
    slope = real_number(negative_slope, "leaky_relu", "negative_slope")
    return LeakyReLU.apply(x, negative_slope=slope)


def elu(x: Any, alpha: float = 1.0) -> Tensor:
    """ELU: x for x > 0, else α(e^x − 1)."""
    return ELU.apply(x, alpha=real_number(alpha, "elu", "alpha"))


def softplus(x: Any) -> Tensor:
    """ln(1 + e^x), a smooth ReLU; stable for any x (``logaddexp``)."""
    return Softplus.apply(x)


def erf(x: Any) -> Tensor:
    """The error function (element by element with ``math.erf``)."""
    return Erf.apply(x)


def gelu(x: Any, approximate: str = "none") -> Tensor:
    """GELU x·Φ(x) (composite). ``approximate="tanh"`` uses PyTorch's tanh formula.

    >>> import tinygrad_edu as tg
    >>> round(tg.gelu(tg.Tensor(1.0)).item(), 4)
    0.8413
    """
    x = as_tensor(x, op="gelu")
    if approximate == "none":
        return 0.5 * x * (1 + erf(x * (1 / math.sqrt(2))))
    if approximate == "tanh":
        # tanh(inner) is exactly ±1 for |x| > 10, so clipping x there changes nothing,
        # but keeps x³ from overflowing (inf·0 would turn the gradient into NaN)
        bounded = clip(x, -100.0, 100.0)
        inner = math.sqrt(2 / math.pi) * (
            bounded + 0.044715 * bounded * bounded * bounded
        )
        return 0.5 * x * (1 + tanh(inner))
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def clip(x: Any, lo: Any = None, hi: Any = None) -> Tensor:
    """Limit values to [lo, hi] (either may be None), broadcasting like ``np.clip``.

    The bounds are numbers, arrays or Tensors; anything else is a TypeError. The
    gradient goes to x where lo <= x <= hi (ties included), else to the bound that
    is active, if it is a Tensor (PyTorch's ``clamp``); number and array bounds are
    constants.

    >>> import tinygrad_edu as tg
    >>> tg.clip(tg.Tensor([-2.0, 0.5, 2.0]), -1, 1).tolist()
    [-1.0, 0.5, 1.0]
    """
    lo, hi = _bound(lo, "lo"), _bound(hi, "hi")
    if isinstance(lo, Tensor) or isinstance(hi, Tensor):
        # the bounds become inputs (a missing one is ±inf: it never binds)
        lo = -math.inf if lo is None else lo
        hi = math.inf if hi is None else hi
        return Clip.apply(x, lo, hi)
    return Clip.apply(x, lo=lo, hi=hi)


def _bound(value: Any, name: str) -> Any:
    if value is None:
        return None
    if isinstance(value, (Tensor, np.ndarray)):
        dtype = value.dtype
        if dtype.kind not in "biuf":
            raise TypeError(f"clip: {name} must be real numbers, got dtype {dtype}")
        return value
    return real_number(value, "clip", name)

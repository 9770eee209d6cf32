"""Binary ops: + - * / **, maximum, minimum, where, and the comparisons (no grad).

Each op broadcasts like NumPy. Backward returns the gradient at the *broadcast*
shape; the engine sums it back to each input's shape (``autograd.unbroadcast``), the
one place where broadcasting is undone.

Read next: ``ops/reduce.py``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Context, Function
from ..tensor import Tensor, as_tensor
from ._util import backend, operands
from .nograd import no_grad_result


class _Binary(Function):
    """Shared error message: which op, which shapes, and why they do not broadcast."""

    @classmethod
    def explain_error(cls, error: Exception, tensors: Any, params: dict) -> Exception:
        shapes = [t.shape for t in tensors]
        try:
            np.broadcast_shapes(*shapes)
        except ValueError:
            return ValueError(
                f"{cls.name}: shapes {' and '.join(map(str, shapes))} cannot be "
                "broadcast together (trailing axes must be equal or 1)"
            )
        return super().explain_error(error, tensors, params)


# ---- arithmetic ------------------------------------------------------------------


class Add(_Binary):
    """out = a + b;   grad_a = grad,   grad_b = grad"""

    name = "add"
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return a + b

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple:
        return grad, grad


class Sub(_Binary):
    """out = a - b;   grad_a = grad,   grad_b = -grad"""

    name = "subtract"
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return a - b

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple:
        return grad, (-grad if ctx.needs_input_grad[1] else None)


class Mul(_Binary):
    """out = a * b;   grad_a = grad * b,   grad_b = grad * a"""

    name = "multiply"
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return a * b

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple:
        a, b = ctx.values
        need_a, need_b = ctx.needs_input_grad
        return (grad * b if need_a else None), (grad * a if need_b else None)


class Div(_Binary):
    """out = a / b;   grad_a = grad / b,   grad_b = -grad * out / b"""

    name = "divide"
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return a / b

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple:
        _, b = ctx.values
        need_a, need_b = ctx.needs_input_grad
        grad_a = grad / b if need_a else None
        grad_b = -grad * ctx.out / b if need_b else None
        return grad_a, grad_b


class Pow(_Binary):
    """out = a ** b;   grad_a = grad * b * a ** (b - 1),   grad_b = grad * out * log(a)

    At a zero base the formulas would multiply 0 by inf; PyTorch's values are taken
    instead (its ``pow_backward_self`` / ``pow_backward_exponent``):

    - grad_a is 0 where b == 0 (d/da a⁰ = 0, also at a = 0); elsewhere the formula
      holds, so at a = 0 it is inf for 0 < b < 1, 1 for b = 1, 0 for b > 1 and −inf
      for b < 0 (IEEE signs at −0.0);
    - grad_b is 0 where a == 0 and b >= 0 (out is 0 or 1 there, the limit of
      a^b·log a as a → 0⁺ is 0); at a = 0, b < 0 it is −inf (inf · log 0); for a
      negative base it is NaN (log of a negative number), as in PyTorch.
    """

    name = "power"
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if a.dtype.kind in "iu" and b.dtype.kind in "iu" and np.any(b < 0):
            raise ValueError(
                "integers to negative integer powers are not allowed; use floats"
            )
        return a**b

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple:
        a, b = ctx.values
        need_a, need_b = ctx.needs_input_grad
        xp, a_data, b_data = backend(a), _data(a), _data(b)
        grad_a = grad_b = None
        if need_a:
            base = a
            if not b_data.all():  # some b == 0 (one call for the usual scalar b)
                # where a = b = 0, use base 1: b * 1**(b-1) = 0, and no inf enters the
                # graph (under create_graph a masked inf would become 0 * inf = nan)
                both_zero = (b_data == 0) & (a_data == 0)
                base = xp.where(both_zero, 1.0, a) if both_zero.any() else a
            grad_a = grad * b * base ** (b - 1)
        if need_b:
            # where a = 0 and b >= 0, take log(1) = 0 instead of out * log 0 = 0 * -inf
            safe = (a_data == 0) & (b_data >= 0)
            grad_b = (
                grad * ctx.out * xp.log(xp.where(safe, 1.0, a) if safe.any() else a)
            )
        return grad_a, grad_b


def _data(x: Any) -> np.ndarray:
    """The array of a value that backward sees as an array or (create_graph) a Tensor;
    for masks, which are locally constant."""
    return x.data if isinstance(x, Tensor) else x


class Maximum(_Binary):
    """out = max(a, b);   grad_a = grad * share_a,   grad_b = grad * share_b: 1 to the
    larger input, ½ each on a tie, 1 to both where either is NaN (as PyTorch)"""

    name = "maximum"
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        out = np.maximum(a, b)
        ctx.save_for_backward(*_shares(a < b, a > b, a == b, out.dtype))
        return out

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple:
        share_a, share_b = ctx.saved_tensors
        return grad * share_a, grad * share_b


class Minimum(_Binary):
    """out = min(a, b);   grad_a = grad * share_a,   grad_b = grad * share_b: 1 to the
    smaller input, ½ each on a tie, 1 to both where either is NaN (as PyTorch)"""

    name = "minimum"
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        out = np.minimum(a, b)
        ctx.save_for_backward(*_shares(a > b, a < b, a == b, out.dtype))
        return out

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple:
        share_a, share_b = ctx.saved_tensors
        return grad * share_a, grad * share_b


def _shares(
    a_loses: np.ndarray, b_loses: np.ndarray, ties: np.ndarray, dtype: np.dtype
) -> tuple[np.ndarray, np.ndarray]:
    """PyTorch's masks (locally constant): an input gets the gradient unless it
    loses, half of it on a tie. A NaN compares false, so both sides get it there."""
    dtype = dtype if dtype.kind == "f" else np.float64
    half = ties.astype(dtype) * 0.5
    return (~a_loses).astype(dtype) - half, (~b_loses).astype(dtype) - half


class Where(Function):
    """out = where(cond, a, b);   grad_a = grad * cond,   grad_b = grad * ~cond"""

    name = "where"
    differentiable_backward = True

    @staticmethod
    def forward(
        ctx: Context, cond: np.ndarray, a: np.ndarray, b: np.ndarray
    ) -> np.ndarray:
        mask = cond if cond.dtype == bool else cond.astype(bool)
        ctx.save_for_backward(mask)
        return np.where(mask, a, b)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple:
        (mask,) = ctx.saved_tensors
        _, need_a, need_b = ctx.needs_input_grad
        return (
            None,
            (grad * mask if need_a else None),
            (grad * ~mask if need_b else None),
        )

    @classmethod
    def explain_error(cls, error: Exception, tensors: Any, params: dict) -> Exception:
        shapes = " , ".join(str(t.shape) for t in tensors)
        return type(error)(
            f"where: cond, a, b of shapes {shapes} cannot be broadcast together: "
            f"{error}"
        )


# ---- the functional API ----------------------------------------------------------


def add(a: Any, b: Any) -> Tensor:
    """Elementwise ``a + b`` with NumPy broadcasting.

    >>> import tinygrad_edu as tg
    >>> tg.add(tg.Tensor([1.0, 2.0]), 1).tolist()
    [2.0, 3.0]
    """
    return Add.apply(a, b)


def subtract(a: Any, b: Any) -> Tensor:
    """Elementwise ``a - b`` with NumPy broadcasting."""
    return Sub.apply(a, b)


def multiply(a: Any, b: Any) -> Tensor:
    """Elementwise ``a * b`` with NumPy broadcasting.

    >>> import tinygrad_edu as tg
    >>> tg.multiply(tg.Tensor([[1.0], [2.0]]), tg.Tensor([3.0, 4.0])).tolist()
    [[3.0, 4.0], [6.0, 8.0]]
    """
    return Mul.apply(a, b)


def divide(a: Any, b: Any) -> Tensor:
    """Elementwise ``a / b`` (true division) with NumPy broadcasting."""
    return Div.apply(a, b)


def power(a: Any, b: Any) -> Tensor:
    """Elementwise ``a ** b``; both sides differentiable (``2 ** x`` too)."""
    return Pow.apply(a, b)


def maximum(a: Any, b: Any) -> Tensor:
    """Elementwise maximum (``np.maximum``); ties split the gradient evenly.

    >>> import tinygrad_edu as tg
    >>> tg.maximum(tg.Tensor([1.0, 5.0]), 3).tolist()
    [3.0, 5.0]
    """
    return Maximum.apply(a, b)


def minimum(a: Any, b: Any) -> Tensor:
    """Elementwise minimum (``np.minimum``); ties split the gradient evenly."""
    return Minimum.apply(a, b)


def where(cond: Any, a: Any, b: Any) -> Tensor:
    """``a`` where ``cond`` is true, else ``b`` (``np.where``); cond gets no gradient.

    >>> import tinygrad_edu as tg
    >>> x = tg.Tensor([-1.0, 2.0])
    >>> tg.where(x > 0, x, 0.0).tolist()
    [0.0, 2.0]
    """
    return Where.apply(as_tensor(cond, op="where"), *operands(a, b, "where"))


# ---- comparisons: boolean results, no gradient ------------------------------------


def _compare(name: str, ufunc: np.ufunc, a: Any, b: Any) -> Tensor:
    a, b = operands(a, b, name)
    return no_grad_result(name, ufunc, a, b)  # (an op: compile replays it)


def less(a: Any, b: Any) -> Tensor:
    """``a < b`` elementwise, a boolean tensor (no gradient)."""
    return _compare("less", np.less, a, b)


def less_equal(a: Any, b: Any) -> Tensor:
    """``a <= b`` elementwise, a boolean tensor (no gradient)."""
    return _compare("less_equal", np.less_equal, a, b)


def greater(a: Any, b: Any) -> Tensor:
    """``a > b`` elementwise, a boolean tensor (no gradient)."""
    return _compare("greater", np.greater, a, b)


def greater_equal(a: Any, b: Any) -> Tensor:
    """``a >= b`` elementwise, a boolean tensor (no gradient)."""
    return _compare("greater_equal", np.greater_equal, a, b)


def equal(a: Any, b: Any) -> Tensor:
    """``a == b`` elementwise, a boolean tensor (no gradient)."""
    return _compare("equal", np.equal, a, b)


def not_equal(a: Any, b: Any) -> Tensor:
    """``a != b`` elementwise, a boolean tensor (no gradient)."""
    return _compare("not_equal", np.not_equal, a, b)

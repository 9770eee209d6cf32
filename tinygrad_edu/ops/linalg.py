"""Matrix products: ``matmul`` (1-D, 2-D and batched, NumPy's rules) and the fused
``linear`` layer x·Wᵀ + b that nn.Linear uses.

For out = a @ b:  grad_a = grad @ bᵀ,  grad_b = aᵀ @ grad  (batch axes that were
broadcast are summed back by the engine).

Read next: ``nn/module.py``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Context, Function
from ..tensor import Tensor
from ._util import operands


def _matmul_hint(a_shape: tuple, b_shape: tuple) -> str:
    """Name the likely fix for misaligned shapes."""
    if len(a_shape) >= 1 and len(b_shape) >= 2 and a_shape[-1] == b_shape[-1]:
        return "; did you mean b.T (a @ b.T)?"
    if len(a_shape) >= 2 and len(b_shape) >= 2 and a_shape[-2] == b_shape[-2]:
        return "; did you mean a.T (a.T @ b)?"
    return ""


class MatMul(Function):
    """out = a @ b;   grad_a = grad @ bᵀ,   grad_b = aᵀ @ grad"""

    name = "matmul"
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.matmul(a, b)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple:
        a, b = ctx.values
        need_a, need_b = ctx.needs_input_grad
        # treat 1-D operands as a row (a) or a column (b), NumPy's rule, then undo it
        a2 = a.reshape((1,) + tuple(a.shape)) if a.ndim == 1 else a
        b2 = b.reshape(tuple(b.shape) + (1,)) if b.ndim == 1 else b
        batch = np.broadcast_shapes(tuple(a2.shape[:-2]), tuple(b2.shape[:-2]))
        g2 = grad.reshape(batch + (a2.shape[-2], b2.shape[-1]))
        grad_a = grad_b = None
        if need_a:
            grad_a = g2 @ b2.swapaxes(-1, -2)
            if a.ndim == 1:
                grad_a = grad_a.reshape(tuple(grad_a.shape[:-2]) + (grad_a.shape[-1],))
        if need_b:
            grad_b = a2.swapaxes(-1, -2) @ g2
            if b.ndim == 1:
                grad_b = grad_b.reshape(tuple(grad_b.shape[:-1]))
        return grad_a, grad_b

    @classmethod
    def explain_error(cls, error: Exception, tensors: Any, params: dict) -> Exception:
        a, b = (t.shape for t in tensors)
        if len(a) == 0 or len(b) == 0:
            return ValueError(
                f"matmul: shapes {a} and {b}: scalars cannot be matrix-multiplied; "
                "use *"
            )
        k_a = a[-1]
        k_b = b[-2] if len(b) >= 2 else b[0]
        if k_a != k_b:
            return ValueError(
                f"matmul: shapes {a} and {b} are not aligned ({k_a} != {k_b})"
                + _matmul_hint(a, b)
            )
        return ValueError(
            f"matmul: batch axes of shapes {a} and {b} cannot be broadcast together"
        )


class Linear(Function):
    """out = x @ Wᵀ + b (W: (out_features, in_features));
    grad_x = grad @ W,   grad_W = gradᵀ @ x,   grad_b = Σ_rows grad"""

    name = "linear"
    differentiable_backward = True

    @staticmethod
    def forward(
        ctx: Context, x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None
    ) -> np.ndarray:
        out = x @ weight.T
        if bias is not None:
            out += bias  # in place: one array for the layer's output, not two
        return out

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple:
        x, weight, *bias = ctx.values
        needs = ctx.needs_input_grad
        grad_2d, x_2d = grad, x
        if grad.ndim != 2:  # batched over more axes (or one sample): rows of features
            grad_2d, x_2d = grad.reshape(-1, grad.shape[-1]), x.reshape(-1, x.shape[-1])
        grad_x = grad @ weight if needs[0] else None
        grad_w = grad_2d.T @ x_2d if needs[1] else None
        if not bias:
            return grad_x, grad_w
        if not needs[2]:
            return grad_x, grad_w, None
        grad_b = grad_2d.sum(axis=0)
        if grad_b.shape != bias[0].shape:  # a bias of shape (1, out) (broadcast)
            grad_b = grad_b.reshape(bias[0].shape)
        return grad_x, grad_w, grad_b

    @classmethod
    def explain_error(cls, error: Exception, tensors: Any, params: dict) -> Exception:
        x, w = tensors[0].shape, tensors[1].shape
        if len(w) != 2:
            return ValueError(
                f"linear: weight must be 2-D (out_features, in_features), got {w}"
            )
        if not x or x[-1] != w[1]:
            return ValueError(
                f"linear: input of shape {x} has {x[-1] if x else 0} features but "
                f"weight {w} expects {w[1]} (weight is (out_features, in_features))"
            )
        b = tensors[2].shape if len(tensors) == 3 else None
        return ValueError(
            f"linear: bias of shape {b} does not fit weight {w} (expected ({w[0]},))"
        )


def matmul(a: Any, b: Any) -> Tensor:
    """Matrix product with NumPy's rules: 1-D vectors, 2-D matrices, batched N-D stacks.

    >>> import tinygrad_edu as tg
    >>> (tg.ones(2, 3) @ tg.ones(3)).tolist()
    [3.0, 3.0]
    """
    if not (isinstance(a, Tensor) and isinstance(b, Tensor)):
        a, b = operands(a, b, "matmul")  # so that x @ "a" names matmul
    return MatMul.apply(a, b)


def linear(x: Any, weight: Any, bias: Any = None) -> Tensor:
    """x @ weightᵀ + bias in one op (the layer's forward a = Wx + b, batched over
    rows).

    >>> import tinygrad_edu as tg
    >>> tg.ops.linear(tg.ones(4, 3), tg.ones(2, 3), tg.zeros(2)).shape
    (4, 2)
    """
    if bias is None:
        return Linear.apply(x, weight)
    return Linear.apply(x, weight, bias)

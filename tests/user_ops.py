"""User-defined ops shared by the tests: written as a user would, with
``tinygrad_edu.Function`` on NumPy arrays (once differentiable)."""

from __future__ import annotations

from tinygrad_edu import Function


class Cube(Function):
    """out = x³;   grad_x = grad · 3x²"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x**2

"""The losses' fused ops: one ``Function`` each, forward and backward side by side.

``nn.functional`` holds the public losses (``cross_entropy``, ``hinge_loss``, ...):
they check their arguments and call these. The ops live here, with the others,
so the op table in ``tests/ops`` covers them like every other op.

Fused because a loss is most of a small network's graph: ``hinge_loss`` as one op
instead of five (multiply, subtract, relu, sum, scale) is a good part of a training
step's time. Each backward is itself differentiable (``create_graph`` works).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Context, Function
from ..tensor import Tensor
from ._util import backend, zero_of

# ---- binary classification -----------------------------------------------------------


_BCE_EPS = 1e-12  # PyTorch's EPSILON in binary_cross_entropy's backward


def _bce_slope(p: Any, y: Any) -> Any:
    """d/dp of the binary cross-entropy, (p − y) / max(p(1 − p), 1e-12)."""
    return (p - y) / backend(p).maximum(p * (1 - p), _BCE_EPS)


class BinaryCrossEntropy(Function):
    """out = −[y·max(log p, −100) + (1 − y)·max(log(1 − p), −100)];
    grad_p = grad · (p − y) / max(p(1 − p), 1e-12)

    PyTorch's clamps: the loss is at most 100 per element and the gradient stays
    finite at p = 0 and p = 1. The target ``y`` is a constant (no gradient).
    """

    name = "binary_cross_entropy"
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Context, p: np.ndarray, target: Any = None) -> np.ndarray:
        ctx.save_for_backward(target)
        with np.errstate(divide="ignore"):  # log(0) = -inf, then clamped
            log_p = np.maximum(np.log(p), -100)
            log_1mp = np.maximum(np.log(1 - p), -100)
        return -(target * log_p + (1 - target) * log_1mp)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        (p,) = ctx.values
        (y,) = ctx.saved_tensors
        if isinstance(p, Tensor):  # create_graph: an op with PyTorch's 2nd derivative
            return BinaryCrossEntropyBackward.apply(p, grad, target=y)
        return grad * _bce_slope(p, y)


class BinaryCrossEntropyBackward(Function):
    """out = g · (p − y) / max(p(1 − p), ε)   (ε = 1e-12: the gradient above);
    grad_p = grad · g · (p² − 2py + y) / ((p + ε)² (1 − p + ε)²),
    grad_g = grad · (p − y) / max(p(1 − p), ε)

    grad_p is PyTorch's double backward: the derivative of (p − y) / (p(1 − p)),
    with ε keeping the denominator finite. Differentiating the clamp instead would
    give 1/ε = 1e12 at p = y ∈ {0, 1}, where the loss is flat (curvature 0).
    """

    name = "binary_cross_entropy_backward"
    differentiable_backward = True

    @staticmethod
    def forward(
        ctx: Context, p: np.ndarray, g: np.ndarray, target: Any = None
    ) -> np.ndarray:
        ctx.save_for_backward(target)
        return g * _bce_slope(p, target)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple:
        p, g = ctx.values
        (y,) = ctx.saved_tensors
        need_p, need_g = ctx.needs_input_grad
        grad_p = grad_g = None
        if need_p:
            shifted = (p + _BCE_EPS) * (1 - p + _BCE_EPS)
            grad_p = grad * g * (p * p - 2 * p * y + y) / (shifted * shifted)
        if need_g:
            if isinstance(p, Tensor):  # (differentiated again: by this op's formula,
                grad_g = BinaryCrossEntropyBackward.apply(p, grad, target=y)  # no clamp)
            else:
                grad_g = grad * _bce_slope(p, y)
        return grad_p, grad_g


# ---- multi-class classification ------------------------------------------------------


class CrossEntropy(Function):
    """out_i = logsumexp(x_i) − x_i[t_i];   grad_x = (softmax(x) − one_hot(t)) ·
    grad_i

    Fused (the lecture's δᴸ = a − y for softmax with cross-entropy). The forward
    keeps softmax(x), a by-product of the log-sum-exp, so an ordinary backward is one
    multiply and one scatter. Under create_graph the backward recomputes the softmax
    from the logits with Tensor ops instead, so it is itself differentiable (second
    derivatives work). ``grad_i`` is the upstream gradient, divided by N for
    ``"mean"``.
    """

    name = "cross_entropy"
    differentiable_backward = True

    @staticmethod
    def forward(
        ctx: Context, x: np.ndarray, targets: Any = None, reduction: str = "mean"
    ) -> np.ndarray:
        n = x.shape[0]
        rows = np.arange(n)
        m = x.max(axis=1, keepdims=True)
        e = np.exp(x - m)  # shifted by the row max: no overflow
        total = e.sum(axis=1, keepdims=True)
        lse = np.log(total[:, 0]) + m[:, 0]
        losses = lse - x[rows, targets]
        e /= total  # softmax(x), in place
        ctx.save_for_backward(e, rows, targets)
        ctx.reduction = reduction
        if reduction == "none":
            return losses
        total = np.add.reduce(losses)
        return total / n if reduction == "mean" else total

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        (x,) = ctx.values
        softmax, rows, targets = ctx.saved_tensors
        if ctx.reduction == "none":
            grad = grad.reshape(-1, 1)  # one upstream gradient per row
        elif ctx.reduction == "mean":
            grad = grad * (1.0 / x.shape[0])
        if isinstance(x, Tensor):  # create_graph: softmax again, from Tensor ops
            one_hot = np.zeros(x.shape, dtype=x.dtype)
            one_hot[rows, targets] = 1
            return (x.softmax(axis=1) - one_hot) * grad
        grad_x = (
            softmax * grad
        )  # a new array: the saved softmax serves a second backward
        grad_x[rows, targets] -= grad[:, 0] if ctx.reduction == "none" else grad
        return grad_x


# ---- margin losses (labels ±1) ------------------------------------------------------


class HingeLoss(Function):
    """out_i = max(0, o − y_i·s_i), reduced, with the margin o = 1;
    grad_s = −y·[mistake]·grad_i,   grad_y = −s·[mistake]·grad_i,   mistake: o
    − y·s > 0

    Fused: one op instead of five (multiply, subtract, relu, sum, scale), which for
    a small network is a good part of the graph. ``grad_i`` is the upstream gradient,
    divided by N for ``"mean"``. The mistake mask is a constant, so the backward is
    differentiable (the second derivative is 0 almost everywhere).
    """

    name = "hinge_loss"
    differentiable_backward = True
    #: o, the margin the loss asks of y·s
    margin = 1.0
    #: whether y·s = o exactly still counts as a mistake (so its gradient flows)
    boundary_is_mistake = False

    @staticmethod
    def forward(
        ctx: Context, s: np.ndarray, y: np.ndarray, reduction: str = "mean"
    ) -> np.ndarray:
        shortfall = ctx.fn.margin - y * s
        zero = zero_of(shortfall.dtype)
        losses = np.maximum(shortfall, zero)
        mistakes = shortfall >= zero if ctx.fn.boundary_is_mistake else shortfall > zero
        ctx.save_for_backward(mistakes.astype(losses.dtype))
        ctx.reduction = reduction
        if reduction == "none":
            return losses
        total = np.add.reduce(losses, axis=None)
        return total / losses.size if reduction == "mean" else total

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple:
        s, y = ctx.values
        (mistakes,) = ctx.saved_tensors
        if ctx.reduction == "mean":
            grad = grad * (1.0 / mistakes.size)
        scale = grad * mistakes
        need_s, need_y = ctx.needs_input_grad
        return (-(scale * y) if need_s else None), (-(scale * s) if need_y else None)


class PerceptronLoss(HingeLoss):
    """out_i = max(0, −y_i·s_i): the hinge with margin o = 0, where y·s = 0 (a point
    on the boundary) still counts as a mistake, as the perceptron rule has it."""

    name = "perceptron_loss"
    margin = 0.0
    boundary_is_mistake = True


# ---- penalties and the perceptron's step ---------------------------------------------


class SumOfSquares(Function):
    """out = Σ_k Σ_i p_k,i²  (over every input);   grad_p_k = 2 · grad · p_k

    One op for the whole penalty, not a multiply, a sum and an add per parameter:
    for a small network that is most of the graph.
    """

    name = "l2_penalty"
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Context, *params: np.ndarray) -> np.ndarray:
        total = 0.0  # NumPy scalars add up faster than in-place adds into a 0-d array
        for p in params:
            total += np.vdot(p, p)  # Σ p², flattened, without a temporary p * p
        return np.asarray(total, dtype=np.result_type(*params))

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple:
        twice = grad * 2
        return tuple([
            twice * p if needed else None
            for p, needed in zip(ctx.values, ctx.needs_input_grad)
        ])  # fmt: skip


class Heaviside(Function):
    """out = 1 if x > 0 else 0;   grad_x = 0 (flat almost everywhere: nothing learnt)"""

    name = "heaviside"
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        return (x > zero_of(x.dtype)).astype(
            x.dtype if x.dtype.kind == "f" else np.float64
        )

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        return grad * 0.0


__all__ = [
    "BinaryCrossEntropy", "CrossEntropy", "HingeLoss", "PerceptronLoss", "SumOfSquares",
    "Heaviside",
]

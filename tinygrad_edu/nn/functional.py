"""Losses, penalties and activations as functions (``torch.nn.functional``'s names).

Every loss takes ``(input, target)`` in PyTorch's order and a ``reduction``:
``"mean"`` (the default), ``"sum"`` or ``"none"`` (one loss per sample). Here are
the argument checks; the fused ops they call (forward and backward) are in
``ops/losses.py``, with the other ops.
Each is written to stay finite for logits as large as ±1e4:

- ``cross_entropy``: log-sum-exp shifted by the max; backward ``softmax − one_hot``
- ``binary_cross_entropy_with_logits``: ``softplus(x) − x·y`` (never ``exp`` of a big
x)
- ``binary_cross_entropy``: logs clamped at −100, as PyTorch does

Read next: ``optim/optimizer.py``.
"""

from __future__ import annotations

import math
from typing import Any, Iterable

import numpy as np

from .._rng import get_rng
from ..ops import (  # noqa: F401  (re-exported activations)
    elu, gelu, leaky_relu, linear, log_softmax, logsumexp, relu, sigmoid, softmax,
    softplus, tanh, where,
)
from ..ops.losses import (
    BinaryCrossEntropy, CrossEntropy, Heaviside, HingeLoss, PerceptronLoss,
    SumOfSquares,
)
from ..ops.nograd import no_grad_result
from ..tensor import Tensor, as_tensor

_REDUCTIONS = ("mean", "sum", "none")


# ---- helpers -------------------------------------------------------------------------


def _check_reduction(reduction: str, name: str) -> None:
    if not isinstance(reduction, str) or reduction not in _REDUCTIONS:
        raise ValueError(
            f"{name}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}"
        )


def check_dropout_probability(p: Any, name: str) -> None:
    """p must be a real number in [0, 1] (the probability of zeroing a unit)."""
    if isinstance(p, (bool, np.bool_)) or not isinstance(
        p, (int, float, np.integer, np.floating)
    ):
        raise TypeError(f"{name}: p must be a number in [0, 1], got {p!r}")
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{name}: p must be in [0, 1], got {p}")


def _check_not_empty(shape: tuple, reduction: str, name: str) -> None:
    if reduction == "mean" and math.prod(shape) == 0:
        raise ValueError(
            f"{name}: mean over an empty batch (shape {shape}) is undefined; "
            "pass at least one sample or use reduction='sum'"
        )


def _reduce(loss: Tensor, reduction: str, name: str) -> Tensor:
    if reduction == "mean":
        _check_not_empty(loss.shape, reduction, name)
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _target_array(target: Any, name: str) -> np.ndarray:
    """The target as an array (a Tensor's own); a ragged list is a ValueError."""
    if isinstance(target, Tensor):
        return target.data
    try:
        return np.asarray(target)
    except ValueError as error:
        raise ValueError(f"{name}: target must be rectangular: {error}") from None


def _real_array(target: Any, name: str) -> np.ndarray:
    """The target's numbers; None, strings or complex values raise (never NaN or a
    parsed or truncated number)."""
    data = _target_array(target, name)
    if data.dtype.kind not in "biuf":
        if data.dtype.kind == "O" and any(v is None for v in data.ravel()):
            what = "contains None"
        else:
            what = {"U": "holds strings", "S": "holds bytes", "c": "is complex"}.get(
                data.dtype.kind, f"has dtype {data.dtype}"
            )
        raise TypeError(
            f"{name}: target {what}; it must be real numbers (bool, int or float), "
            f"got {type(target).__name__} of dtype {data.dtype}"
        )
    return data


def _target_like(target: Any, input: Tensor, name: str) -> Tensor:
    """The target as a Tensor of the input's shape and float dtype (no promotion:
    a float64 or int target next to a float32 model keeps the model float32)."""
    if not isinstance(target, Tensor) or not target.requires_grad:
        data = _real_array(target, name)
        convert = data.dtype != input.dtype and input.dtype.kind == "f"
        if isinstance(target, Tensor):
            if convert:  # (an op, so that compile converts each call's target)
                dtype = input.dtype
                target = no_grad_result("astype", lambda a: a.astype(dtype), target)
        else:
            target = Tensor._from_array(data.astype(input.dtype) if convert else data)
    if target.shape != input.shape:
        hint = ""
        if input.size == target.size:
            hint = f"; reshape one of them (e.g. target.reshape{input.shape})"
        raise ValueError(
            f"{name}: input shape {input.shape} and target shape {target.shape} differ"
            + hint
        )
    return target


def _class_indices(target: Any, n_classes: int, n: int, name: str) -> np.ndarray:
    """Integer class indices in [0, n_classes), one per sample, checked."""
    data = _real_array(target, name)
    if data.dtype.kind not in "iu":
        raise TypeError(
            f"{name}: targets must be integer class indices, got dtype {data.dtype} "
            "(use y.astype(int), or pass one-hot/probability targets of the logits' "
            "shape to cross_entropy)"
        )
    if data.shape != (n,):
        raise ValueError(
            f"{name}: expected {n} targets of shape ({n},), got shape {data.shape}"
        )
    if data.size and (data.min() < 0 or data.max() >= n_classes):
        bad = data[(data < 0) | (data >= n_classes)][0]
        raise ValueError(
            f"{name}: target {bad} is out of range for {n_classes} classes "
            f"(valid: 0..{n_classes - 1})"
        )
    return data


def _signed_labels(y: Tensor, name: str) -> None:
    if np.count_nonzero(np.abs(y.data) != 1):  # (no Python-level np.all: per step)
        values = np.unique(y.data)[:5].tolist()
        raise ValueError(
            f"{name}: labels must be -1 or +1, got values {values}; for 0/1 labels use "
            "2 * y - 1 (or datasets' signed=True)"
        )


# ---- regression losses ---------------------------------------------------------------


def mse_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Mean squared error: ``(input − target)²``, reduced.

    >>> import tinygrad_edu as tg
    >>> mse_loss(tg.Tensor([1.0, 2.0]), tg.Tensor([1.0, 4.0])).item()
    2.0
    """
    _check_reduction(reduction, "mse_loss")
    input = as_tensor(input)
    diff = input - _target_like(target, input, "mse_loss")
    return _reduce(diff * diff, reduction, "mse_loss")


def l1_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Mean absolute error: ``|input − target|``, reduced.

    >>> import tinygrad_edu as tg
    >>> l1_loss(tg.Tensor([1.0, 2.0]), tg.Tensor([1.0, 4.0]), reduction="sum").item()
    2.0
    """
    _check_reduction(reduction, "l1_loss")
    input = as_tensor(input)
    return _reduce(
        (input - _target_like(target, input, "l1_loss")).abs(), reduction, "l1_loss"
    )


# ---- binary classification -----------------------------------------------------------


def binary_cross_entropy(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """BCE on probabilities: ``−[y·log p + (1 − y)·log(1 − p)]``, logs clamped
    at −100.

    Prefer ``binary_cross_entropy_with_logits`` on the raw scores: it is exact where
    this clamps. The target gets no gradient.

    >>> import tinygrad_edu as tg
    >>> round(binary_cross_entropy(tg.Tensor([0.5]), tg.Tensor([1.0])).item(), 4)
    0.6931
    """
    _check_reduction(reduction, "binary_cross_entropy")
    p = as_tensor(input)
    y = _target_like(target, p, "binary_cross_entropy")
    if p.size and not (np.min(p.data) >= 0 and np.max(p.data) <= 1):
        raise ValueError(
            "binary_cross_entropy: input must be probabilities in [0, 1]; "
            "for raw scores use binary_cross_entropy_with_logits"
        )
    return _reduce(
        BinaryCrossEntropy.apply(p, target=y.data), reduction, "binary_cross_entropy"
    )


def binary_cross_entropy_with_logits(
    input: Tensor, target: Any, reduction: str = "mean"
) -> Tensor:
    """BCE on logits (logistic regression's loss): ``softplus(x) − x·y``.

    Equal to ``max(x, 0) − x·y + log(1 + e^−|x|)``, so it never overflows.

    >>> import tinygrad_edu as tg
    >>> logits, y = tg.Tensor([1e4, -1e4]), tg.Tensor([1.0, 0.0])
    >>> binary_cross_entropy_with_logits(logits, y).item()
    0.0
    """
    _check_reduction(reduction, "binary_cross_entropy_with_logits")
    x = as_tensor(input)
    y = _target_like(target, x, "binary_cross_entropy_with_logits")
    return _reduce(softplus(x) - x * y, reduction, "binary_cross_entropy_with_logits")


# ---- multi-class classification ------------------------------------------------------


def cross_entropy(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Softmax cross-entropy on logits: ``logsumexp(x_i) − x_i[t_i]`` per sample.

    ``input``: logits of shape ``(N, C)`` (or ``(C,)`` for one sample);
    ``target``: integer classes of shape ``(N,)`` (or a scalar). Targets of the
    logits' shape are taken as class probabilities (e.g. one-hot):
    ``−Σ_c t_ic · log_softmax(x)_ic``.

    >>> import tinygrad_edu as tg
    >>> logits = tg.Tensor([[0.0, 0.0], [1e4, -1e4]])
    >>> round(cross_entropy(logits, [0, 0]).item(), 4)   # (ln 2 + 0) / 2
    0.3466
    """
    _check_reduction(reduction, "cross_entropy")
    x = as_tensor(input)
    if x.ndim not in (1, 2):
        raise ValueError(
            f"cross_entropy: expected logits of shape (N, C) or (C,), got {x.shape}"
        )
    if x.dtype.kind != "f":
        raise TypeError(f"cross_entropy: logits must be floating point, got {x.dtype}")
    t = _target_array(target, "cross_entropy")
    if t.shape == x.shape and t.dtype.kind == "f":  # class probabilities
        y = _target_like(target, x, "cross_entropy")
        return _reduce(
            -(y * x.log_softmax(axis=-1)).sum(axis=-1), reduction, "cross_entropy"
        )
    if x.ndim == 1:  # one sample: (C,) logits, scalar target
        if t.ndim != 0:
            raise ValueError(
                f"cross_entropy: logits of shape {x.shape} need a scalar target, "
                f"got shape {t.shape}"
            )
        loss = cross_entropy(x.reshape(1, -1), t.reshape(1), reduction)
        return loss.reshape(()) if reduction == "none" else loss
    targets = _class_indices(t, x.shape[1], x.shape[0], "cross_entropy")
    if x.shape[0] == 0 and reduction == "mean":
        raise ValueError("cross_entropy: mean over an empty batch")
    return CrossEntropy.apply(x, targets=targets, reduction=reduction)


def nll_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of log-probabilities: ``−log_probs[i, t_i]``.

    ``cross_entropy(x, t) == nll_loss(log_softmax(x), t)``.

    >>> import numpy as np, tinygrad_edu as tg
    >>> log_probs = tg.Tensor(np.log([[0.25, 0.75]]))
    >>> round(nll_loss(log_probs, [1]).item(), 4)
    0.2877
    """
    _check_reduction(reduction, "nll_loss")
    x = as_tensor(input)
    if x.ndim == 1:
        t = _target_array(target, "nll_loss")
        loss = nll_loss(x.reshape(1, -1), t.reshape(1), reduction)
        return loss.reshape(()) if reduction == "none" else loss
    if x.ndim != 2:
        raise ValueError(
            f"nll_loss: expected input of shape (N, C) or (C,), got {x.shape}"
        )
    targets = _class_indices(target, x.shape[1], x.shape[0], "nll_loss")
    return _reduce(-x[np.arange(x.shape[0]), targets], reduction, "nll_loss")


# ---- margin losses (labels ±1) ------------------------------------------------------


def hinge_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Hinge loss of a linear classifier (SVM): ``max(0, 1 − y·s)``, y in ±1.

    >>> import tinygrad_edu as tg
    >>> scores, y = tg.Tensor([2.0, 0.5, -1.0]), tg.Tensor([1.0, 1.0, 1.0])
    >>> hinge_loss(scores, y, "none").tolist()
    [0.0, 0.5, 2.0]
    """
    return _margin_loss(HingeLoss, input, target, reduction)


def perceptron_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """The lecture's perceptron loss: ``max(0, −y·s)``, y in ±1.

    Its gradient is ``−y·∂s`` wherever ``y·s <= 0`` (a mistake, including the
    boundary s = 0), so one SGD step with lr = 1 on one sample is the classic
    perceptron rule ``w ← w + y·x``.

    >>> import tinygrad_edu as tg
    >>> perceptron_loss(tg.Tensor([2.0, -0.5]), tg.Tensor([1.0, 1.0]), "none").tolist()
    [0.0, 0.5]
    """
    return _margin_loss(PerceptronLoss, input, target, reduction)


def _margin_loss(op: type, input: Tensor, target: Any, reduction: str) -> Tensor:
    _check_reduction(reduction, op.name)
    s = as_tensor(input)
    y = _target_like(target, s, op.name)
    _signed_labels(y, op.name)
    _check_not_empty(s.shape, reduction, op.name)
    return op.apply(s, y, reduction=reduction)


# ---- penalties (ridge and LASSO) -----------------------------------------------------


def _param_list(params: Any) -> list[Tensor]:
    if isinstance(params, Tensor):
        return [params]
    if hasattr(params, "parameters") and callable(params.parameters):  # a Module
        return list(params.parameters())
    return [as_tensor(p) for p in params]


def l1_penalty(params: Iterable[Tensor] | Tensor) -> Tensor:
    """LASSO's penalty ``Σ |p|`` over all parameters (multiply by λ yourself).

    >>> import tinygrad_edu as tg
    >>> l1_penalty([tg.Tensor([1.0, -2.0]), tg.Tensor([3.0])]).item()
    6.0
    """
    total = None
    for p in _param_list(params):
        term = p.abs().sum()
        total = term if total is None else total + term
    return Tensor(0.0) if total is None else total


def l2_penalty(params: Iterable[Tensor] | Tensor) -> Tensor:
    """Ridge's penalty ``Σ p²`` over all parameters (multiply by λ yourself).

    >>> import tinygrad_edu as tg
    >>> l2_penalty([tg.Tensor([1.0, -2.0]), tg.Tensor([3.0])]).item()
    14.0
    """
    params = _param_list(params)
    return SumOfSquares.apply(*params) if params else Tensor(0.0)


# ---- layers as functions -------------------------------------------------------------


def dropout(input: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
    """Inverted dropout: zero each element with probability ``p`` and scale the rest
    by ``1 / (1 − p)``, so the expected value is unchanged; the identity when not
    ``training``. Draws from the library's generator (``manual_seed``).

    >>> import tinygrad_edu as tg
    >>> dropout(tg.ones(4), p=0.5, training=False).tolist()
    [1.0, 1.0, 1.0, 1.0]
    """
    check_dropout_probability(p, "dropout")
    x = as_tensor(input)
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * np.zeros(x.shape, dtype=x.dtype)
    keep = get_rng().random(x.shape) >= p
    mask = keep.astype(x.dtype) * np.asarray(1.0 / (1.0 - p), dtype=x.dtype)
    return x * mask


def heaviside(input: Tensor) -> Tensor:
    """The perceptron's step: 1 where x > 0, else 0. Its gradient is zero, which is
    why networks of step units cannot be trained by gradient descent.

    >>> import tinygrad_edu as tg
    >>> heaviside(tg.Tensor([-1.0, 0.0, 2.0])).tolist()
    [0.0, 0.0, 1.0]
    """
    return Heaviside.apply(input)


__all__ = [
    "mse_loss", "l1_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits",
    "cross_entropy", "nll_loss", "hinge_loss", "perceptron_loss", "l1_penalty",
    "l2_penalty", "dropout", "heaviside", "relu", "sigmoid", "tanh", "leaky_relu",
    "elu", "softplus", "gelu", "softmax", "log_softmax", "logsumexp", "linear",
]
from ..ops import (  # noqa: E402,F401  conv nets (issue 16)
    avg_pool2d, batch_norm, conv2d, conv_transpose2d, fold, max_pool2d, unfold,
)

"""Metrics for ``fit``: (pred, target) NumPy arrays -> float, and how fit picks them.

The one subtle rule is accuracy with *one* output column: is the output a
probability (positive when > 0.5) or a score/logit (positive when > 0)? The
numbers alone cannot tell (a logit of 0.3 and a probability of 0.3 look alike, and
"all outputs in [0, 1]" is also true of small logits), so ``fit`` asks the loss
function, which states what it expects (:func:`threshold_for_loss`).

Read next: ``train.py`` (the loop that records them).
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence, Union

import numpy as np

__all__ = ["accuracy", "mse", "METRICS", "threshold_for_loss"]

Metric = Callable[[np.ndarray, np.ndarray], float]
MetricsArg = Union[str, Metric, Sequence[Union[str, Metric]], Mapping[str, Metric]]

# losses that take probabilities (a sigmoid output): positive when p > 0.5
PROBABILITY_LOSSES = frozenset({"binary_cross_entropy"})
# losses that take scores / logits: positive when the score is > 0
SCORE_LOSSES = frozenset(
    {"binary_cross_entropy_with_logits", "hinge_loss", "perceptron_loss"}
)


def accuracy(pred: Any, target: Any, threshold: float | None = None) -> float:
    """Fraction of samples classified correctly.

    The rule:

    * several output columns (multi-class): the predicted class is ``argmax`` over
      the last axis, compared with integer labels (or the argmax of one-hot targets);
      ``threshold`` must be None;
    * one output per sample (shape ``(n,)`` or ``(n, 1)``, binary): the sample is
      predicted positive when ``pred > threshold``. ``threshold=0.5`` for
      probabilities (a sigmoid output trained with ``binary_cross_entropy``), ``0``
      for scores or logits (``*_with_logits``, hinge, perceptron: the sign of the
      score). ``None`` (the default) means ``0``, i.e. scores; ``fit`` passes the
      right one itself (:func:`threshold_for_loss`). A target is positive when
      it is ``> 0``, so labels in {0, 1} and in {−1, +1} both work.

    Examples
    --------
    >>> accuracy([[2.0, 0.1], [0.3, 0.9], [1.0, 3.0]], [0, 1, 0])
    0.6666666666666666
    >>> accuracy([1.5, -0.2, 0.3, -4.0], [1, -1, -1, -1])       # scores, ±1 labels
    0.75
    >>> accuracy([0.006, 0.992, 0.999, 0.007], [0, 1, 1, 0], threshold=0.5)
    1.0
    """
    pred, target = np.asarray(pred), np.asarray(target)
    if pred.ndim >= 2 and pred.shape[-1] > 1:
        if threshold is not None:
            raise ValueError(
                f"accuracy: threshold={threshold} applies to one output column; "
                f"predictions {pred.shape} have {pred.shape[-1]} (argmax is used)"
            )
        labels = pred.argmax(axis=-1)
        if target.shape == pred.shape:  # one-hot targets
            target = target.argmax(axis=-1)
        if labels.size != target.size:
            raise ValueError(
                f"accuracy: predictions {pred.shape} and targets {target.shape} "
                "have different numbers of samples"
            )
        return float(np.mean(labels.reshape(-1) == target.reshape(-1)))
    if pred.size != target.size:
        raise ValueError(
            f"accuracy: predictions {pred.shape} and targets {target.shape} "
            "differ in size"
        )
    cut = 0.0 if threshold is None else float(threshold)
    predicted = pred.reshape(-1) > cut
    return float(np.mean(predicted == (target.reshape(-1) > 0)))


def mse(pred: Any, target: Any) -> float:
    """Mean squared error ``1/n Σ_i (ŷ_i − y_i)²``; ``(n, 1)`` and ``(n,)`` are
    matched.

    Examples
    --------
    >>> mse([[1.0], [2.0]], [1.0, 4.0])
    2.0
    """
    pred = np.asarray(pred, dtype=np.float64)
    target = np.asarray(target, dtype=np.float64)
    if pred.size != target.size:
        raise ValueError(
            f"mse: predictions {pred.shape} and targets {target.shape} differ in size"
        )
    return float(np.mean((pred.reshape(-1) - target.reshape(-1)) ** 2))


METRICS: dict[str, Metric] = {"accuracy": accuracy, "mse": mse}


def _function_name(fn: Any) -> str:
    """``fn.__name__``, looking through ``functools.partial``."""
    name = getattr(fn, "__name__", None) or getattr(
        getattr(fn, "func", None), "__name__", None
    )
    return name or type(fn).__name__


def threshold_for_loss(loss_fn: Any, model: Any = None) -> float | None:
    """The accuracy threshold for one output column, from what the loss expects.

    ``binary_cross_entropy`` takes probabilities → 0.5; ``*_with_logits``, hinge
    and perceptron losses take scores → 0. For another loss (``mse_loss``, your
    own), a model whose last layer is a sigmoid outputs probabilities → 0.5;
    otherwise None (scores, threshold 0).

    Examples
    --------
    >>> import tinygrad_edu.nn.functional as F
    >>> threshold_for_loss(F.binary_cross_entropy), threshold_for_loss(F.hinge_loss)
    (0.5, 0.0)
    """
    name = _function_name(loss_fn)
    if name in PROBABILITY_LOSSES:
        return 0.5
    if name in SCORE_LOSSES:
        return 0.0
    modules = list(model.modules()) if hasattr(model, "modules") else []
    if modules and type(modules[-1]).__name__ == "Sigmoid":
        return 0.5
    return None


def resolve_metrics(
    metrics: MetricsArg | None, threshold: float | None = None
) -> list[tuple[str, Metric]]:
    """Names ("accuracy", "mse") or callables -> [(name, fn)], in the given order.

    The named ``"accuracy"`` gets ``threshold`` (see :func:`threshold_for_loss`).
    """
    if metrics is None:
        return []
    if isinstance(metrics, Mapping):
        items = list(metrics.items())
    else:
        if isinstance(metrics, str) or callable(metrics):
            metrics = [metrics]  # a lone "accuracy" is not a sequence of characters
        items = [_named_metric(m, threshold) for m in metrics]
    names = [name for name, _ in items]
    for name in names:
        if name == "loss" or name.startswith("val_") or names.count(name) > 1:
            raise ValueError(
                f"fit: metric name {name!r} is reserved or repeated (names: {names})"
            )
    return items


def _accuracy_at(threshold: float) -> Metric:
    """``accuracy`` with ``threshold`` for one output column (argmax for several)."""

    def accuracy_at(pred: np.ndarray, target: np.ndarray) -> float:
        one_column = pred.ndim < 2 or pred.shape[-1] == 1
        return accuracy(pred, target, threshold if one_column else None)

    return accuracy_at


def _named_metric(m: Any, threshold: float | None) -> tuple[str, Metric]:
    if isinstance(m, str):
        if m not in METRICS:
            raise ValueError(
                f"fit: unknown metric {m!r}; choose from {sorted(METRICS)} "
                "or pass a callable (pred, target) -> float"
            )
        if m == "accuracy" and threshold is not None:
            return m, _accuracy_at(threshold)
        return m, METRICS[m]
    if callable(m):
        return _function_name(m), m
    raise TypeError(f"fit: a metric must be a name or a callable, got {m!r}")

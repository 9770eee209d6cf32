"""The model-free reference the questions share: k nearest neighbours.

A neighbour vote needs no training and has no architecture, so it answers two
questions no trained model can answer about itself: does x predict y at all
(``features.py``), and could *some* model fit better than this one
(``architecture.py``)? ``model_score`` puts the trained model on the same scale
(accuracy or R²). Read next: ``architecture.py``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ...autograd import no_grad
from ...tensor import Tensor
from .._common import LossFn, _in_mode


def class_labels(y: np.ndarray) -> np.ndarray | None:
    """Integer class labels when y looks like classes (ints, one-hot, 0/1 or ±1)."""
    if y.ndim == 2 and y.shape[1] > 1:
        return y.argmax(axis=1)
    flat = y.reshape(len(y), -1)[:, 0] if y.ndim > 1 else y
    if flat.dtype.kind in "iub" or (
        np.all(flat == np.round(flat)) and len(np.unique(flat)) <= 20
    ):
        return flat.astype(np.int64)
    return None


def neighbour_signal(X, y, Xv, yv, k: int = 5) -> dict:
    """Is there anything to learn? k nearest training neighbours (standardised
    inputs) predict each validation sample; compared with chance (the majority
    class) or, for regression, with predicting the mean (R² > 0.1). ``n`` is the
    number of validation samples scored."""
    X, Xv = X.reshape(len(X), -1), Xv.reshape(len(Xv), -1)
    mean, std = X.mean(axis=0), X.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    A, B = (X[:2000] - mean) / std, (Xv[:1000] - mean) / std
    d = (B**2).sum(1)[:, None] + (A**2).sum(1)[None, :] - 2 * B @ A.T
    near = np.argpartition(d, min(k, len(A) - 1), axis=1)[:, :k]
    labels, labels_v = class_labels(y[: len(A)]), class_labels(yv[: len(B)])
    if labels is not None and labels_v is not None:
        votes = labels[near]
        predicted = np.array(
            [np.bincount(v - v.min()).argmax() + v.min() for v in votes]
        )
        score = float(np.mean(predicted == labels_v))
        chance = float(np.bincount(labels - labels.min()).max() / len(labels))
        margin = 3 * math.sqrt(max(chance * (1 - chance), 1e-12) / len(B))
        return {
            "kind": "accuracy",
            "score": score,
            "chance": chance,
            "signal": score > chance + margin,
            "n": len(B),
        }
    target = yv[: len(B)].reshape(len(B), -1).astype(np.float64)
    guess = y[: len(A)].reshape(len(A), -1).astype(np.float64)[near].mean(axis=1)
    r2 = r_squared(target, guess)
    return {"kind": "R²", "score": r2, "chance": 0.0, "signal": r2 > 0.1, "n": len(B)}


def r_squared(target: np.ndarray, guess: np.ndarray) -> float:
    """1 − SSE/SST: the share of y's variance a prediction explains (0: the mean)."""
    total = ((target - target.mean(axis=0)) ** 2).sum()
    return float(1 - ((target - guess) ** 2).sum() / total) if total > 0 else 0.0


def model_score(
    model: Any, loss_fn: LossFn, X: np.ndarray, y: np.ndarray, kind: str
) -> tuple[float, int] | None:
    """(score, samples scored) of the trained model on (X, y) in the neighbours'
    measure; None when its outputs cannot be read that way.

    Accuracy: each sample's predicted class is the class whose target the loss
    finds closest to the model's output, so no output convention is assumed
    (argmax for cross-entropy, 0.5 for MSE on 0/1, 0 for BCE with logits).
    R²: the outputs are predictions of y (they must have y's shape).
    """
    n_classes = len(np.unique(class_labels(y))) if kind == "accuracy" else 1
    # a loss call per sample and class: a few hundred samples say enough
    m = min(len(X), 500, max(100, 2000 // n_classes))
    pick = np.linspace(0, len(X) - 1, m).round().astype(np.int64)  # sorted data too
    X, y = X[pick], y[pick]
    with _in_mode(model, False), no_grad(), np.errstate(all="ignore"):
        out = model(Tensor._from_array(X)).data
    if kind == "R²":
        if out.size != y.size:
            return None
        guess = out.reshape(y.shape).reshape(m, -1).astype(np.float64)
        return r_squared(y.reshape(m, -1).astype(np.float64), guess), m
    labels = class_labels(y)
    classes = np.unique(labels)
    targets = [y[np.flatnonzero(labels == c)[:1]] for c in classes]
    losses = np.empty((m, len(classes)))
    try:
        with no_grad(), np.errstate(all="ignore"):
            for i in range(m):
                row = Tensor._from_array(out[i : i + 1])
                for j, target in enumerate(targets):
                    loss = loss_fn(row, Tensor._from_array(target))
                    losses[i, j] = float(loss.item())
    except (ValueError, TypeError, IndexError, RuntimeError):
        return None  # a loss that cannot score one sample: no reference
    if not np.all(np.isfinite(losses)):
        return None
    return float(np.mean(classes[losses.argmin(axis=1)] == labels)), m

"""Helpers shared by the debugging tools: formatting, tables, model state."""

from __future__ import annotations

import math
from contextlib import contextmanager
from typing import Any, Callable, Iterator

import numpy as np

from .. import autograd
from ..autograd import no_grad
from .._display import text_table as _table
from ..tensor import Tensor

LossFn = Callable[[Tensor, Any], Tensor]


def _array(x: Any) -> np.ndarray:
    """The ndarray behind a Tensor, array or nested list (no copy for arrays)."""
    return x.data if isinstance(x, Tensor) else np.asarray(x)


class _ModelState:
    """Snapshot of a model (parameters, gradients, train/eval flags), to restore."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.params = _named_parameters(model)
        self.data = {name: p.data.copy() for name, p in self.params}
        self.grads = [(p, p.grad) for _, p in self.params]
        self.modes = [(m, m.training) for m in _modules(model)]

    def restore(self, grads: bool = True) -> None:
        for name, p in self.params:
            np.copyto(p.data, self.data[name])
        if grads:
            for p, g in self.grads:
                p.grad = g
        for m, mode in self.modes:
            m.training = mode
        _bump_versions([p for _, p in self.params])


def _named_parameters(model: Any) -> list[tuple[str, Tensor]]:
    if hasattr(model, "named_parameters"):
        return list(model.named_parameters())
    return [(str(i), p) for i, p in enumerate(model)]  # a plain list of tensors


def _modules(model: Any) -> list[Any]:
    return list(model.modules()) if hasattr(model, "modules") else []


@contextmanager
def _in_mode(model: Any, training: bool) -> Iterator[None]:
    """Every module of ``model`` in train (True) or eval (False) mode inside the
    block; each module's own mode restored after it."""
    modes = [(m, m.training) for m in _modules(model)]
    for m, _ in modes:
        m.training = training
    try:
        yield
    finally:
        for m, mode in modes:
            m.training = mode


def _bump_versions(params: list[Tensor]) -> None:
    """Parameters changed in place: a graph built before must not backprop old values
    (the optimizers do the same after each step)."""
    autograd.mark_modified(*params)


def _eval_loss(model: Any, loss_fn: LossFn, X: np.ndarray, y: np.ndarray) -> float:
    """loss_fn(model(X), y) as a float, in eval mode and without a graph (NaN when
    the computation overflows)."""
    try:
        with _in_mode(model, False), no_grad(), np.errstate(all="ignore"):
            return float(
                loss_fn(model(Tensor._from_array(X)), Tensor._from_array(y)).item()
            )
    except (FloatingPointError, OverflowError):
        return math.nan


# ======================================================================================

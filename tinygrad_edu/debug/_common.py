"""Helpers shared by the debugging tools: formatting, tables, model state."""

from __future__ import annotations

import math
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from .. import autograd
from ..autograd import no_grad
from ..tensor import Tensor

LossFn = Callable[[Tensor, Any], Tensor]


def _array(x: Any) -> np.ndarray:
    """The ndarray behind a Tensor, array or nested list (no copy for arrays)."""
    return x.data if isinstance(x, Tensor) else np.asarray(x)


def _fmt(value: Any) -> str:
    """One table cell: 4 significant digits for numbers, '-' for missing."""
    if value is None:
        return "-"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.4g}"
    return str(value)


def _table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A plain-text table: strings left-aligned, numbers right-aligned."""
    raw = [list(row) for row in rows]
    cells = [[_fmt(v) for v in row] for row in raw]
    widths = [len(h) for h in headers]
    for row in cells:
        widths = [max(w, len(c)) for w, c in zip(widths, row)]

    def line(row: Sequence[str], values: Sequence[Any] | None = None) -> str:
        parts = []
        for i, (cell, width) in enumerate(zip(row, widths)):
            numeric = values is not None and isinstance(
                values[i], (int, float, np.number)
            )
            numeric = numeric and not isinstance(values[i], (bool, np.bool_))
            parts.append(cell.rjust(width) if numeric else cell.ljust(width))
        return "  ".join(parts).rstrip()

    out = [line(list(headers)), "  ".join("-" * w for w in widths)]
    out += [line(row, values) for row, values in zip(cells, raw)]
    return "\n".join(out)


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


def _set_training(model: Any, mode: bool) -> None:
    for m in _modules(model):
        m.training = mode


def _bump_versions(params: list[Tensor]) -> None:
    """Parameters changed in place: a graph built before must not backprop old values
    (the optimizers do the same after each step)."""
    autograd.mark_modified(*params)


def _loss_value(model: Any, loss_fn: LossFn, X: np.ndarray, y: np.ndarray) -> float:
    """loss_fn(model(X), y) as a float, in eval mode and without a graph."""
    modes = [(m, m.training) for m in _modules(model)]
    _set_training(model, False)
    try:
        with no_grad(), np.errstate(all="ignore"):
            return float(
                loss_fn(model(Tensor._from_array(X)), Tensor._from_array(y)).item()
            )
    except (FloatingPointError, OverflowError):
        return math.nan
    finally:
        for m, mode in modes:
            m.training = mode


# ======================================================================================

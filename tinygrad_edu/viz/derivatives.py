"""Local derivatives ∂out/∂in of one op on scalars: the numbers on graph edges."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor
from ._format import op_parts


def _replay(grad_fn: Any) -> tuple[list[Tensor], Any] | None:
    """Fresh float64 leaf copies of the op's inputs, and a function applying the op
    to such inputs again (None when the record does not say how)."""
    fn, params = op_parts(grad_fn)
    if fn is None or not hasattr(fn, "apply"):
        return None
    copies = [Tensor(np.asarray(x.data, dtype=np.float64), requires_grad=True)
              if x.requires_grad else Tensor(x.data) for x in grad_fn.inputs]
    return copies, lambda *xs: fn.apply(*xs, **params)


def local_derivatives(grad_fn: Any, out: Tensor) -> list[float | None]:
    """∂out/∂input for each input of one op on scalars (``None``: not available).

    Method: apply the op again to fresh float64 copies of its recorded inputs and
    let the engine backpropagate through that copy (the op's own ``backward``, so
    the number is exactly what the chain rule multiplies by). Should that backward
    fail, central differences of the op's forward
    (``tinygrad_edu.testing.numerical_grad``) are used instead. The recorded graph is
    never touched, so this works after ``backward`` freed it. Inputs that need no
    gradient get ``None``; ops on non-scalars give all ``None``.

    >>> import tinygrad_edu as tg
    >>> x = tg.Tensor(3.0, requires_grad=True)
    >>> y = x * x
    >>> local_derivatives(y.grad_fn, y)
    [3.0, 3.0]
    """
    inputs = grad_fn.inputs
    nothing: list[float | None] = [None] * len(inputs)
    if out.size != 1 or any(x.size != 1 for x in inputs):
        return nothing
    replay = _replay(grad_fn)
    if replay is None:
        return nothing
    copies, apply = replay
    tracked = [x for x in copies if x.requires_grad]
    if not tracked:
        return nothing
    try:
        from .. import gradients

        found = iter(g.data for g in gradients(apply(*copies), tracked))
    except Exception:  # e.g. a user op whose backward needs more: go numeric
        found = _numerical(apply, copies)
    values = [next(found) if x.requires_grad else None for x in copies]
    return [None if v is None else float(np.sum(v)) for v in values]


def _numerical(apply: Any, copies: list[Tensor]) -> Any:
    from ..testing import numerical_grad

    try:
        numeric = numerical_grad(apply, copies)
    except Exception:
        return iter([None] * len(copies))
    return iter(g for g, x in zip(numeric, copies) if x.requires_grad)

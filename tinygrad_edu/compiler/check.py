"""``check=True``: the state a compiled step changes, saved, restored, compared.

Every replayed call of a ``@tg.compile(check=True)`` function also runs eagerly
from the same state: ``_snapshot`` before, ``_restore`` back to it, and
``_compare`` of the eager and the replayed results, parameters and gradients, bit
for bit. Read after ``compiled.py``.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from ..optim.optimizer import Optimizer
from ..tensor import Tensor


def _snapshot(state: tuple[list, list], result: Any = None) -> dict:
    leaves, owners = state
    return {
        "leaves": [
            (
                t,
                t.data,
                t.data.copy(),
                t.grad,
                None if t.grad is None else t.grad.data.copy(),
            )
            for t in leaves
        ],
        "owners": [
            (o, copy.deepcopy(o.state), o.steps)
            for o in owners
            if isinstance(o, Optimizer)
        ],
        "result": _result_arrays(result),
    }


def _result_arrays(result: Any) -> list:
    if result is None:
        return []
    items = [result] if isinstance(result, Tensor) else list(result)
    return [t.data.copy() for t in items]


def _restore(snapshot: dict) -> None:
    for t, data, values, grad, grad_values in snapshot["leaves"]:
        if data.flags.writeable:  # (cached number constants are read-only)
            data[...] = values
        t.data = data
        t.grad = grad
        if grad is not None:
            grad.data[...] = grad_values
    for o, state, steps in snapshot["owners"]:
        o.state, o.steps = copy.deepcopy(state), steps


def _compare(name: str, eager: dict, compiled: dict) -> None:
    """Raise on the first difference (bit for bit, NaN equal to NaN)."""
    pairs = [
        (f"returned value {i}", a, b)
        for i, (a, b) in enumerate(zip(eager["result"], compiled["result"]))
    ]
    for i, (e, c) in enumerate(zip(eager["leaves"], compiled["leaves"])):
        pairs.append((f"parameter {i} (shape {e[0].shape})", e[2], c[2]))
        pairs.append((f"gradient of parameter {i}", e[4], c[4]))
    for what, a, b in pairs:
        same = (a is None and b is None) or (
            a is not None
            and b is not None
            and a.shape == b.shape
            and np.array_equal(a, b, equal_nan=True)
        )
        if not same:
            raise RuntimeError(
                f"compile({name}, check=True): the replay differs from eager mode in "
                f"{what}; something the recording cannot see changed the result "
                "(Python state, a value read from .data, random numbers)"
            )

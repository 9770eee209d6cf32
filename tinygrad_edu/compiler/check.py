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

from ..nn.module import Module
from ..optim.lr_scheduler import LRScheduler
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
            (o, copy.deepcopy(o.state), o.steps, o.lr)
            for o in owners
            if isinstance(o, Optimizer)
        ],
        "schedulers": [
            (o, copy.deepcopy(o.state_dict()))
            for o in owners
            if isinstance(o, LRScheduler)
        ],
        # buffers (batch norm's running statistics) of the modules called
        "buffers": [
            (name, b.data, b.data.copy())
            for o in owners
            if isinstance(o, Module)
            for name, b in o.named_buffers()
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
    for o, state, steps, lr in snapshot["owners"]:
        o.state, o.steps, o.lr = copy.deepcopy(state), steps, lr
    for o, state in snapshot["schedulers"]:
        o.load_state_dict(copy.deepcopy(state))
    for _, array, values in snapshot["buffers"]:
        array[...] = values


def _compare(name: str, eager: dict, compiled: dict) -> None:
    """Raise on the first difference (bit for bit, NaN equal to NaN)."""
    pairs = [
        (f"returned value {i}", a, b)
        for i, (a, b) in enumerate(zip(eager["result"], compiled["result"]))
    ]
    for i, (e, c) in enumerate(zip(eager["leaves"], compiled["leaves"])):
        pairs.append((f"parameter {i} (shape {e[0].shape})", e[2], c[2]))
        pairs.append((f"gradient of parameter {i}", e[4], c[4]))
    for (name_, _, e), (_, _, c) in zip(eager["buffers"], compiled["buffers"]):
        pairs.append((f"buffer {name_}", e, c))
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

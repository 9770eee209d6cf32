"""Wiring the lowerings (``lowerings.py``) into the recorder.

``lower_forward`` picks an op's lowering when its shapes and dtypes allow (else the
generic step is used), ``lower_backward`` adds the instructions that route each
gradient: where a gradient lands is known while tracing (``rec.content``: cell ->
the array it will hold), so a later step binds that array instead of looking it up,
and a second gradient for the same input is summed into a buffer of its own.
``lower_call`` gives ``SGD.step`` a lowered update.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .lowerings import _LOWER, NO_ARG, fill
from .optimizers import lowered_sgd


def lower_forward(rec, fn: type, sources: tuple, params: dict, o, out, bound: dict):
    """The instructions of op ``fn``'s lowered forward, or None (generic step)."""
    maker = _LOWER.get(fn.name)
    if maker is None or not fn.__module__.startswith("tinygrad_edu."):
        return None
    needs = out._needs if out._fn is not None else (False,) * len(sources)
    wants = [x for x, need in zip(sources, needs) if need]
    if any(x.data.shape != out.data.shape and fn.name in _ELEMENTWISE for x in wants):
        return (
            None  # broadcasting: the engine's unbroadcast sums, the generic step does
        )
    if any(x.data.dtype != out.data.dtype for x in sources if x.data.ndim):
        return None  # mixed dtypes: NumPy casts in chunks, a matmul may sum otherwise
    param = _param_reader(params, bound)
    made = maker(fn, sources, out, needs, param, rec.operand)
    if made is None:
        return None
    forward, backward, buffer = made
    rec.lowerings[o] = backward
    o.data = buffer  # downstream steps bind it; filled at replay
    rec.fixed.add(o)
    return forward


_ELEMENTWISE = {"add", "subtract", "multiply", "divide", "relu", "tanh", "sigmoid"}


def _param_reader(params: dict, bound: dict) -> Callable[[str], Any]:
    """``param(key)``: a keyword parameter's value now (made from a traced value
    again at each call when it was one, like a cross-entropy's targets)."""

    def param(key: str) -> Any:
        value = bound.get(key)
        return params.get(key) if value is None else value()

    return param


def lower_backward(rec, t, o, plan: list) -> list | None:
    """The instructions of a lowered node's backward (its forward was lowered), with
    the gradients routed to their cells; None when the forward was not lowered."""
    backward = rec.lowerings.get(o)
    if backward is None:
        return None
    cell = rec.cells[t]
    g = rec.content.get(cell)
    prog = []
    if g is None:  # a generic step computed it: copied into a buffer, to bind it
        g = np.empty(t.shape, t.dtype)
        prog.append((fill, rec.holder(cell), NO_ARG, g))
    more, grads = backward(g)
    prog += more
    for i, target, shape, dtype, accumulate in plan:
        gx = grads[i]
        own = gx.base is None and gx is not g  # (a buffer, not g or a view of it)
        if accumulate:  # a second gradient for this input: summed into a new buffer
            acc = np.empty(shape, dtype)
            prog.append((np.add, rec.grad_source(target), gx, acc))
            gx, own = acc, True
        rec.content[target] = gx
        rec.exclusive[target] = own
        rec.made_in[id(gx)] = prog  # (every instruction holding gx is in this list)
    return prog


def lower_call(rec, method: Callable, owner: Any):
    """``SGD.step`` gets a lowered step (``optimizers.py``); every other call
    (zero_grad, other optimizers, subclasses) replays as the owner's own method,
    whose update is already in place."""
    from ..optim.sgd import SGD

    if type(owner) is not SGD or method.__name__ != "step":
        return None
    return lowered_sgd(rec, owner)

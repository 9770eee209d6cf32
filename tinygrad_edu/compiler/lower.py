"""Wiring the lowerings (``lowerings.py``) into the recorder.

``lower_forward`` picks an op's lowering when its shapes and dtypes allow (else the
generic step is used), ``lower_backward`` turns the lowered backward into a step that
routes each gradient to its cell (summing into a buffer of its own when an input
already has one), and ``lower_call`` gives ``SGD.step`` a lowered update.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .. import autograd
from .lowerings import _LOWER, _same


def lower_forward(rec, fn: type, sources: tuple, params: dict, o, out, bound: dict):
    """A lowered forward step for op ``fn``, or None (the generic step is used)."""
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
    made = maker(fn, sources, out, needs, param)
    if made is None:
        return None
    forward, backward, buffer = made
    rec.lowerings[o] = backward
    if buffer is not None:
        o.data = buffer  # downstream steps read it through o.data; filled at replay
        return forward

    def lowered() -> None:  # a new array (a view) each call
        o.data = forward()

    return lowered


_ELEMENTWISE = {"add", "subtract", "multiply", "divide", "relu", "tanh", "sigmoid"}


def _param_reader(params: dict, bound: dict) -> Callable[[str], Any]:
    """``param(key)``: a keyword parameter's value now (made from a traced value
    again at each call when it was one, like a cross-entropy's targets)."""

    def param(key: str) -> Any:
        value = bound.get(key)
        return params.get(key) if value is None else value()

    return param


def lower_backward(rec, t, o, plan: list):
    """The lowered backward step of a node whose forward was lowered, or None."""
    backward = rec.lowerings.get(o)
    if backward is None:
        return None
    G, cell = rec.G, rec.cells[t]
    passes = getattr(backward, "passes", ())
    targets = []
    for i, target, shape, dtype, accumulate in plan:
        acc = np.empty(shape, dtype) if accumulate else None
        targets.append((i, target, acc))
        rec.exclusive[target] = accumulate or i not in passes  # (for .grad aliasing)
    parts = getattr(backward, "parts", None)
    if len(targets) == 1 and parts is not None:  # (a chain: one input's gradient)
        return _one_gradient(G, cell, *targets[0], parts[targets[0][0]])

    def lowered() -> None:
        grads = backward(G[cell])
        for i, target, acc in targets:
            if acc is None:
                G[target] = grads[i]
            else:
                G[target] = np.add(G[target], grads[i], out=acc)

    return lowered


def _one_gradient(G: list, cell: int, i: int, target: int, acc: Any, part: Callable):
    """A backward step with one input to send a gradient to, without the tuple."""
    if part is _same and acc is None:

        def lowered() -> None:
            G[target] = G[cell]

    elif acc is None:

        def lowered() -> None:
            G[target] = part(G[cell])

    else:

        def lowered() -> None:
            G[target] = np.add(G[target], part(G[cell]), out=acc)

    return lowered


def lower_call(rec, method: Callable, owner: Any):
    """``SGD.step`` gets a lowered step (SGD._update's NumPy calls on two scratch
    arrays shared by all parameters, as ``Optimizer._work`` shares them: one hot
    buffer, not one per parameter); every other call (zero_grad, other optimizers,
    subclasses) replays as the owner's own method, whose update is already in place."""
    from ..optim.sgd import SGD

    if type(owner) is not SGD or method.__name__ != "step":
        return None
    sizes: dict = {}
    for p in owner.params:
        sizes[p.dtype] = max(sizes.get(p.dtype, 0), p.size)
    shared = {
        dtype: (np.empty(n, dtype), np.empty(n, dtype)) for dtype, n in sizes.items()
    }
    scratch = [
        (p, *(b[: p.size].reshape(p.shape) for b in shared[p.dtype]))
        for p in owner.params
    ]

    def lowered() -> None:
        hyper, states = owner.hyper, owner.state  # (read each call: load_state_dict)
        lr, momentum, weight_decay = (
            owner.current_lr,
            hyper["momentum"],
            hyper["weight_decay"],
        )
        updated = []
        for (p, step, decayed), state in zip(scratch, states):
            if p.grad is None:
                continue
            param, grad = p.data, p.grad.data
            if weight_decay:  # g + λθ
                np.multiply(param, weight_decay, out=decayed)
                decayed += grad
                grad = decayed
            np.multiply(grad, lr, out=step)
            if momentum == 0:
                param -= step
            else:
                v = state.get("velocity")
                if v is None:
                    v = state["velocity"] = np.zeros_like(param)
                v *= momentum
                v -= step
                if hyper["nesterov"]:
                    param -= step
                    np.multiply(v, momentum, out=step)
                    param += step
                else:
                    param += v
            updated.append(p)
        owner.steps += 1
        if updated:
            autograd.mark_modified(*updated)

    return lowered

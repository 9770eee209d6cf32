"""The recorded ``Step``, and the generic steps: what replays an op through its own
forward and backward.

A generic step calls the op's ``forward``/``backward`` with its output's mirror as
``ctx`` (so the op's own code, and a user ``Function``, runs unchanged), then does
what the engine's sweep does with the gradients: sum each back to its input's shape,
cast it to its dtype, add it to the input's cell. The other small steps live here
too: binding a value made outside the ops, and storing a leaf's ``.grad``; and
``replay_runs``, which turns the recorded steps into the closures a replay calls
(consecutive instructions fused into one loop each).

Read next: ``compiler/lowerings.py``.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..autograd import _user_backward, unbroadcast
from ..tensor import Tensor
from .lowerings import NO_ARG


class Step:
    """One recorded step: ``run`` does its NumPy work -- a closure, or a list of
    instructions (``lowerings.py``; empty for a step with nothing left to do at
    replay, such as a reshape's view); ``block`` is the replay run it belongs to
    (consecutive instructions run as one loop, ``steps.replay_runs``); the rest
    describes it."""

    __slots__ = ("kind", "name", "shapes_in", "shapes_out", "lowered", "run", "block")

    def __init__(
        self,
        kind: str,
        name: str,
        shapes_in: list,
        shapes_out: list,
        lowered: bool,
        run: Callable[[], None] | list,
    ) -> None:
        self.kind, self.name, self.run = kind, name, run
        self.shapes_in, self.shapes_out, self.lowered = shapes_in, shapes_out, lowered
        self.block: int | None = None

    def __str__(self) -> str:
        ins = ", ".join(str(s) for s in self.shapes_in)
        outs = ", ".join(str(s) for s in self.shapes_out)
        how = "lowered" if self.lowered else "generic"
        where = "no work at replay" if self.block is None else f"run {self.block}"
        return f"{self.kind:<9}{self.name:<24}({ins}) -> ({outs})  [{how}]  {where}"


def _binder(source: Tensor, dtype: Any, shape: tuple | None = None) -> Callable:
    """``make_step(m)``: a step giving ``m`` the source's array (reshaped to
    ``shape``, converted to ``dtype``); with m None, a function returning that array
    (a parameter's value)."""

    def value() -> np.ndarray:
        array = source.data if shape is None else source.data.reshape(shape)
        return array if dtype is None else array.astype(dtype)

    def make(m: Tensor | None) -> Callable:
        if m is None:
            return value

        def lowered() -> None:
            m.data = value()

        return lowered

    return make


def _generic_forward(
    fn: type, ins: tuple, params: dict, o: Tensor, bound: dict
) -> Callable[[], None]:
    """``o.data = fn.forward(o, *inputs)``: the op's own forward, ctx = the mirror.
    Parameters made from an argument's array (targets) are made again each call."""
    forward = fn.forward
    if bound:

        def generic() -> None:
            p = dict(params)
            for key, value in bound.items():
                p[key] = value()
            o._params = p
            data = forward(o, *[x.data for x in ins], **p)
            o.data = data if type(data) is np.ndarray else np.asarray(data)

    elif len(ins) == 2 and not params:
        a, b = ins

        def generic() -> None:
            data = forward(o, a.data, b.data)
            o.data = data if type(data) is np.ndarray else np.asarray(data)

    elif len(ins) == 1 and not params:
        (a,) = ins

        def generic() -> None:
            data = forward(o, a.data)
            o.data = data if type(data) is np.ndarray else np.asarray(data)

    else:

        def generic() -> None:
            data = forward(o, *[x.data for x in ins], **params)
            o.data = data if type(data) is np.ndarray else np.asarray(data)

    return generic


def _generic_backward(fn: type, o: Tensor, g_source: Any, routes: list):
    """The sweep's work for one node: the op's own backward, then each input's
    gradient summed back to its shape, cast to its dtype, and added to its cell.
    ``g_source`` and each route's ``before`` (the cell's gradient so far) are an
    array bound while tracing or a holder Tensor (``lower.py``); ``holder`` is the
    input's cell, which gets the result."""
    backward, builtin, name = fn.backward, fn.differentiable_backward, fn.name

    def generic() -> None:
        g = g_source.data if type(g_source) is Tensor else g_source
        if builtin:
            o._out = o.data
            grads = backward(o, g)
            o._out = None
            if type(grads) is not tuple:
                grads = (grads,)
        else:
            grads = _user_backward(o, g, False)
        for i, holder, before, shape, dtype, accumulate in routes:
            gx = grads[i]
            if gx is None:
                raise RuntimeError(
                    f"compile: {name}.backward returned None for input "
                    f"{i} at replay but a gradient while tracing"
                )
            if gx.shape != shape:
                gx = unbroadcast(gx, shape, name)
            if gx.dtype != dtype:
                gx = gx.astype(dtype)
            if accumulate:
                gx = (before.data if type(before) is Tensor else before) + gx
            holder.data = gx

    return generic


def store_grad(g: np.ndarray, out: tuple) -> None:
    """An instruction: ``.grad`` of a leaf from its gradient g, as the sweep stores
    it (``out`` = (leaf, buffer, alias)): a fresh gradient goes into a Tensor kept
    for this leaf (reused by the next call) -- the array itself when ``alias`` (a
    buffer only this gradient uses, and the step zeroes the gradient first, so no
    sum with the previous one is ever needed), else a copy; an existing gradient
    gets the sum, as a new tensor."""
    leaf, buffer, alias = out
    previous = leaf._grad  # (the slot behind .grad, as autograd._store_grad writes it)
    if previous is None:
        if alias:
            buffer.data = g
        else:
            np.copyto(buffer.data, g)
        leaf._grad = buffer
    else:
        leaf._grad = Tensor._from_array(previous.data + g)


def _store_arg_grad(
    source: Any, which: int, arg_box: list, buffer: Tensor, alias: bool
) -> Callable[[], None]:
    """``store_grad`` for an argument of the call (a new tensor at every call)."""

    def lowered() -> None:
        g = source.data if type(source) is Tensor else source
        store_grad(g, (arg_box[which], buffer, alias))

    return lowered


# ---- the replay: steps grouped into runs ---------------------------------------------


def replay_runs(steps: list) -> tuple:
    """The closures a replay calls, in order: a closure step as itself, and each
    stretch of consecutive instruction steps fused into one loop (``step.block`` is
    set to the run's index). A stretch whose operands are all bound arrays gets the
    plain loop; one with a Tensor operand (``.data`` read at each call: arguments,
    values of generic steps) a loop that looks those up."""
    runs: list = []
    stretch: list = []
    mixed = False

    def close() -> None:
        if stretch:
            runs.append(_mixed_loop(stretch) if mixed else _loop(stretch))

    for step in steps:
        if callable(step.run):
            close()
            stretch, mixed = [], False
            step.block = len(runs)
            runs.append(step.run)
        elif step.run:
            looks_up = False
            for _, x, y, _ in step.run:
                looks_up = looks_up or type(x) is Tensor or type(y) is Tensor
            if stretch and looks_up != mixed:
                close()
                stretch = []
            mixed = looks_up
            stretch += step.run
            step.block = len(runs)
    close()
    return tuple(runs)


def _loop(prog: list) -> Callable[[], None]:
    """Run instructions whose operands are all bound: ``f(x, y, out=z)``."""
    prog = tuple(prog)

    def fused(prog: tuple = prog, no_arg: object = NO_ARG) -> None:
        for f, x, y, z in prog:
            if y is no_arg:
                f(x, out=z)
            else:
                f(x, y, out=z)

    return fused


def _mixed_loop(prog: list) -> Callable[[], None]:
    """Run instructions some of whose operands are Tensors (read ``.data`` now)."""
    prog = tuple(prog)

    def fused(prog: tuple = prog, no_arg: object = NO_ARG, tensor: type = Tensor):
        for f, x, y, z in prog:
            if type(x) is tensor:
                x = x.data
            if y is no_arg:
                f(x, out=z)
                continue
            if type(y) is tensor:
                y = y.data
            f(x, y, out=z)

    return fused

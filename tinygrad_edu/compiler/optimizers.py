"""The lowered optimizer update: ``SGD.step`` as SGD._update's NumPy calls.

The update is the same sequence of NumPy calls per parameter as ``SGD._update``
(so the parameters are bit-identical), on scratch arrays made once. One shortcut:
when the recording knows where every parameter's gradient will be (each in a
buffer of its own), those buffers are moved into one flat array, so ``lr · g`` is
one multiply for all parameters instead of one per parameter -- elementwise, the
same numbers. At replay the step checks that each ``p.grad`` still holds its
buffer (a user may have set ``.grad`` differently) and otherwise goes parameter by
parameter.

Read after ``lower.py``.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .. import autograd
from .lowerings import call


def _views_like(flat: np.ndarray, arrays: list) -> list:
    """Consecutive pieces of ``flat`` shaped like ``arrays``."""
    views, start = [], 0
    for a in arrays:
        views.append(flat[start : start + a.size].reshape(a.shape))
        start += a.size
    return views


def _flat_gradients(rec, params: tuple) -> tuple | None:
    """Move the buffers the parameters' gradients will be in into one flat array
    (``rec.remap``), when each is a buffer of its own that ``.grad`` aliases and an
    instruction writes; returns ``(flat, views)``, or None when any is not."""
    latest = {}
    for _, source, leaf, which, _, alias in rec.stores:
        if which is None:
            latest[leaf] = source if alias else None
    arrays = [latest.get(p) for p in params]
    if not arrays or not all(type(a) is np.ndarray and a.base is None for a in arrays):
        return None
    dtype = arrays[0].dtype
    written = {
        id(ins[3])
        for step in rec.steps
        if isinstance(step.run, list)
        for ins in step.run
        if ins[0] is not call  # (a closure may hold its own buffers)
    }
    if (
        any(a.dtype != dtype or id(a) not in written for a in arrays)
        or len({id(a) for a in arrays}) != len(arrays)
    ):
        return None
    flat = np.empty(sum(a.size for a in arrays), dtype)
    views = _views_like(flat, arrays)
    rec.remap({id(a): v for a, v in zip(arrays, views)})
    return flat, views


def _momentum(param, step, state: dict, momentum: float, nesterov: bool) -> None:
    """SGD._update's momentum part: v ← μv − lr·g, then θ ← θ + v (or Nesterov)."""
    v = state.get("velocity")
    if v is None:
        v = state["velocity"] = np.zeros_like(param)
    v *= momentum
    v -= step
    if nesterov:
        param -= step
        np.multiply(v, momentum, out=step)
        param += step  # θ ← θ + μv − lr·g
    else:
        param += v


def lowered_sgd(rec, owner: Any) -> Callable[[], None]:
    """The replay of ``owner.step()`` (an ``optim.SGD``)."""
    params = tuple(owner.params)
    views = _flat_gradients(rec, params)
    if views is None:
        flat = flat_step = None
        steps = [np.empty(p.shape, p.dtype) for p in params]
    else:
        flat, views = views
        flat_step = np.empty_like(flat)
        steps = _views_like(flat_step, views)
    decayed = [np.empty(p.shape, p.dtype) for p in params]
    rates = {p.dtype: np.empty((), p.dtype) for p in params}  # lr as a 0-d array
    plan = tuple(
        (p, p.data, step, d, rates[p.dtype]) for p, step, d in zip(params, steps, decayed)
    )
    mark = autograd.mark_modified

    def lowered() -> None:
        hyper = owner.hyper
        lr, momentum, weight_decay = owner.current_lr, hyper["momentum"], hyper[
            "weight_decay"
        ]
        if type(lr) is float:  # (a Python float: NumPy rounds it to the dtype)
            for rate in rates.values():
                rate[...] = lr
        together = flat is not None and not weight_decay
        if together:  # lr·g for every parameter at once, when the grads are in place
            for p, view in zip(params, views):
                grad = p.grad
                if grad is None or grad.data is not view:
                    together = False
                    break
            else:
                rate = rates[flat.dtype] if type(lr) is float else lr
                np.multiply(flat, rate, out=flat_step)
        updated = []
        for (p, param, step, d, rate), state in zip(plan, owner.state):
            grad = p.grad
            if grad is None:
                continue
            updated.append(p)
            if not together:
                grad = grad.data
                if weight_decay:  # g + λθ
                    np.multiply(param, weight_decay, out=d)
                    np.add(d, grad, out=d)
                    grad = d
                np.multiply(grad, rate if type(lr) is float else lr, out=step)
            if momentum == 0:
                np.subtract(param, step, out=param)  # θ ← θ − lr·g
            else:
                _momentum(param, step, state, momentum, hyper["nesterov"])
        owner.steps += 1
        if updated:
            mark(*updated)

    return lowered

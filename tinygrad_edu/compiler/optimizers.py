"""The lowered optimizer update: ``SGD.step`` as SGD._update's NumPy calls.

The update is the same sequence of NumPy calls per parameter as ``SGD._update``
(so the parameters are bit-identical), on scratch arrays made once. One shortcut:
when the recording knows where every parameter's gradient will be (each in a
buffer of its own), those buffers are moved into one flat array, so ``lr · g`` is
one multiply for all parameters instead of one per parameter -- elementwise, the
same numbers. (Only for small networks, where calls cost more than arithmetic; a
large one goes parameter by parameter through one hot scratch array.) At replay
the step checks that each ``p.grad`` still holds its buffer (a user may have set
``.grad`` differently) and otherwise goes parameter by parameter.

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


def _shared_scratch(params: tuple) -> list:
    """One scratch array per parameter, all views of one buffer per dtype (sized
    for the largest), as ``Optimizer._work`` shares them: one hot buffer."""
    sizes: dict = {}
    for p in params:
        sizes[p.dtype] = max(sizes.get(p.dtype, 0), p.size)
    shared = {dtype: np.empty(n, dtype) for dtype, n in sizes.items()}
    return [shared[p.dtype][: p.size].reshape(p.shape) for p in params]


# Above this many elements a step is dominated by memory traffic, not by calls: the
# update goes parameter by parameter through one hot scratch array, as eager does.
FLAT_MAX = 1 << 16


def _flat_gradients(rec, params: tuple) -> tuple | None:
    """Move the buffers the parameters' gradients will be in into one flat array
    (``rec.remap``), when each is a buffer of its own that ``.grad`` aliases and an
    instruction writes, and they are small (``FLAT_MAX``); returns ``(flat,
    views)``, or None. Only the backward step that made a gradient holds its array
    (``rec.made_in``)."""
    if sum(p.size for p in params) > FLAT_MAX:
        return None
    latest = {}
    for _, source, leaf, which, _, alias in rec.stores:
        if which is None:
            latest[leaf] = source if alias else None
    arrays = [latest.get(p) for p in params]
    if not arrays or not all(type(a) is np.ndarray and a.base is None for a in arrays):
        return None
    dtype, ids = arrays[0].dtype, {id(a) for a in arrays}
    if any(a.dtype != dtype for a in arrays) or len(ids) != len(arrays):
        return None
    places, written = [], set()
    runs = {id(r): r for r in map(rec.made_in.get, ids) if r is not None}
    for store in rec.stores:  # (the steps storing .grad hold them too)
        if type(store[0].run) is list:
            runs[id(store[0].run)] = store[0].run
    for run in runs.values():
        for k, (f, x, y, z) in enumerate(run):
            if id(x) in ids or id(y) in ids or id(z) in ids:
                places.append((run, k))
                if f is not call:  # (a closure may hold its own buffers)
                    written.add(id(z))
    if not ids <= written:
        return None
    flat = np.empty(sum(a.size for a in arrays), dtype)
    views = _views_like(flat, arrays)
    rec.remap({id(a): v for a, v in zip(arrays, views)}, places)
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
    decayed: list = []  # g + λθ: scratch made at the first step with weight decay
    flat = flat_step = views = plan = None
    rates = {d: np.empty((), d) for d in {p.dtype for p in params}}  # lr, 0-d
    mark = autograd.mark_modified

    def link() -> None:
        """Before the first replay (``Recorder.linkers``): the flat gradient array
        if it applies, and the scratch arrays."""
        nonlocal flat, flat_step, views, plan
        found = _flat_gradients(rec, params)
        if found is None:
            steps = _shared_scratch(params)
        else:
            flat, views = found
            flat_step = np.empty_like(flat)
            steps = _views_like(flat_step, views)
        plan = tuple((p, p.data, s, rates[p.dtype]) for p, s in zip(params, steps))

    rec.linkers.append(link)

    def lowered() -> None:
        hyper = owner.hyper
        lr, momentum, weight_decay = (
            owner.current_lr,
            hyper["momentum"],
            hyper["weight_decay"],
        )
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
        if weight_decay and not decayed:
            decayed.extend(_shared_scratch(params))
        updated = []
        for i, ((p, param, step, rate), state) in enumerate(zip(plan, owner.state)):
            grad = p.grad
            if grad is None:
                continue
            updated.append(p)
            if not together:
                grad = grad.data
                if weight_decay:  # g + λθ
                    d = decayed[i]
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

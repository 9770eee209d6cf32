"""The backward engine: how an op records itself, and how backward walks the records.

The algorithm is the first part of this file, top to bottom:

- ``apply`` runs one op. ``forward`` computes the output array; when a gradient is
  wanted, the op's record is written *into the output tensor*, which thereby becomes
  the graph node: ``_fn`` (the Function class), ``_inputs`` (the input tensors),
  ``_saved`` (what ``ctx.save_for_backward`` kept), ``_needs`` (which inputs want a
  gradient), ``_params`` (keyword parameters) and ``_stamp`` (the in-place clock).
  The output tensor is also the ``ctx`` that forward and backward receive, so one
  object per op is all the graph costs.
- ``toposort`` lists the nodes so that each comes after all of its inputs.
- ``backpropagate`` seeds the root's gradient and runs ``_sweep``, the backward loop:
  in reverse topological order each node's gradient (``_grad_acc``) is complete when
  it is reached; its op's backward turns it into its inputs' gradients, which are
  summed back to each input's shape (``unbroadcast``) and added into theirs.

Everything else -- the guards (freed graph, in-place changes, anomaly hook, dtype),
hooks -- is a named call defined further down, so the 40-line idea reads in one
place. The read-only caches of number operands and of the seed live in
``constants.py``; grad mode and the collector policies in ``grad_mode.py``;
the ``Function`` base class, ``Node`` (what ``grad_fn`` shows), ``Context`` and the
checks on a user-written op live in ``function.py``. This module re-exports them, so
``from .autograd import Function, no_grad`` works everywhere.

One formula, two speeds. A built-in op (``differentiable_backward = True``) writes its
backward once, on ``ctx.values`` / ``ctx.out`` and the incoming ``grad``. In an
ordinary backward these are NumPy arrays; under ``create_graph=True`` they are
Tensors, so the same formula records a graph of its own (DeZero's idea).

Why tensor.py, ops/ and autograd.py import each other: Tensor's methods call the ops,
the ops are Functions (function.py, re-exported here) on Tensors, and ``apply`` makes
Tensors. The cycle is closed by import order: ``tinygrad_edu/__init__`` imports
``tensor`` first; ``tensor.py`` imports ``convert`` and ``tensor_methods`` (which
reach ``Tensor`` only when called), defines ``Tensor`` and only at its *end* imports
``autograd``, ``creation``, ``interop`` and ``ops``, which import the finished class,
and hands the last three to ``tensor_methods``. This module imports ``grad_mode`` and
``constants`` first and ``function`` at its end, once ``apply`` (which
``Function.apply`` is) exists. No module needs the others while it is being
executed, only when its functions are called.

Read next: ``grad_mode.py``, ``function.py``, then ``ops/binary.py``.
"""

from __future__ import annotations

from operator import attrgetter
from typing import Any, Callable, Sequence, Union

import numpy as np

from .grad_mode import (  # re-exported: from .autograd import no_grad keeps working
    _collector, _CollectorPause, _grad_mode, _GradMode, _recording, enable_grad,
    is_grad_enabled, no_grad, set_grad_enabled,
)
from . import constants
from .tensor import Tensor, as_tensor

GradLike = Union[Tensor, np.ndarray, float, int, None]
_data, _requires_grad = attrgetter("data"), attrgetter("_requires_grad")  # (C speed)
_NEEDS_1 = ((False,), (True,))
_NEEDS_2 = ((False, False), (False, True), (True, False), (True, True))

# ==== the algorithm ===================================================================


def apply(fn: type, /, *inputs: Any, **params: Any) -> Tensor:
    """Run op ``fn`` on ``inputs``; record it on the output when a gradient is wanted.

    ``Function.apply`` is this function. The output tensor is the ``ctx`` of forward.
    """
    for x in inputs:
        if not isinstance(x, Tensor):  # numbers become cached constants
            inputs = constants.as_tensors(inputs, fn)
            break
    out = object.__new__(Tensor)
    out._fn, out._saved = fn, ()
    n = len(inputs)
    if not _grad_mode.enabled:
        needs = _NEEDS_2[0] if n == 2 else _NEEDS_1[0] if n == 1 else (False,) * n
    elif n == 2:  # (shared tuples: a graph of a million ops holds no million pairs)
        needs = _NEEDS_2[inputs[0]._requires_grad * 2 + inputs[1]._requires_grad]
    elif n == 1:
        needs = _NEEDS_1[inputs[0]._requires_grad]
    else:
        needs = tuple(map(_requires_grad, inputs))
    out._needs = needs  # before forward: ctx.needs_input_grad works there (PyTorch)
    try:  # (the common arities spelled out: packing *args costs more than the op)
        if n == 2 and not params:
            data = fn.forward(out, inputs[0].data, inputs[1].data)
        elif n == 1 and not params:
            data = fn.forward(out, inputs[0].data)
        elif n == 3 and not params:
            data = fn.forward(out, inputs[0].data, inputs[1].data, inputs[2].data)
        else:
            data = fn.forward(out, *map(_data, inputs), **params)
    except (ValueError, TypeError, IndexError) as error:
        _raise_explained(fn, error, inputs, params)
    except AttributeError as error:
        if "of 'Tensor' object has no setter" not in str(error):
            raise
        _raise_ctx_name(fn, str(error), error)
    if not fn.differentiable_backward:  # a user op: its ctx attributes are checked
        _check_ctx_names(fn, out)
    if type(data) is not np.ndarray:
        data = np.asarray(data)  # NumPy returns scalars for 0-d results
    out.data, out._requires_grad, out._grad_acc = data, False, None
    if data.base is not None:
        _share_version_with_base(out, inputs)  # a view: in-place changes hit both
    if True in needs:  # record: the output becomes the graph node
        if data.dtype.kind != "f":
            _raise_not_float(fn, data)
        out._inputs, out._stamp = inputs, _clock
        out._out, out._requires_grad = None, True
        if params:
            out._params = params
        global _recorded
        _recorded += 1  # (the collector grows rarer as the graph grows)
        if _recorded >= _next_raise:
            _raise_collector_threshold()
    else:  # nothing to record: a plain tensor that keeps nothing alive
        out._fn, out._saved = None, ()
    if _anomaly_check is not None:
        _anomaly_check(fn, inputs, "forward", (data,))
    if _trace_hook is not None:
        _trace_hook.record_op(fn, inputs, params, out)
    return out


def toposort(root: Tensor, grad_only: bool = False) -> list[Tensor]:
    """Tensors reachable from ``root``, each listed after all of its inputs.

    Iterative, so a 100,000-op chain is fine. A depth-first walk from the root meets
    every tensor after the op that consumes it; when no tensor feeds two ops (a
    chain, a tree) that walk reversed is the order. When only leaves feed several
    ops (parameters used twice), listing the leaves first repairs it (a leaf has no
    inputs). Otherwise ``_kahn`` orders the tensors found. ``grad_only`` leaves out
    the tensors that need no gradient (constants, data): backward sends them nothing.
    """
    walk, seen, stack, shared_leaf, shared_op = [], {root}, [root], False, False
    while stack:
        t = stack.pop()
        walk.append(t)
        if t._fn is not None:
            for x in t._inputs:
                if x not in seen:  # (tensors hash by identity: __eq__ is elementwise)
                    if x._requires_grad or not grad_only:
                        seen.add(x)
                        stack.append(x)
                elif x._fn is None:
                    shared_leaf = True
                else:
                    shared_op = True  # an op's output feeds two ops
    if shared_op or (shared_leaf and not grad_only):  # (pictures keep Kahn's order)
        return _kahn(root, walk)
    walk.reverse()
    if shared_leaf:
        return [t for t in walk if t._fn is None] + [
            t for t in walk if t._fn is not None
        ]
    return walk


def backpropagate(
    root: Tensor,
    grad: GradLike = None,
    retain_graph: bool = False,
    create_graph: bool = False,
    inputs: Sequence[Tensor] | None = None,
) -> list | None:
    """Reverse-mode sweep from ``root``.

    Without ``inputs`` it accumulates into ``.grad`` of the leaves
    (``Tensor.backward``); with ``inputs`` it returns their gradients and touches no
    ``.grad`` (``tinygrad_edu.grad``, like ``torch.autograd.grad``).
    """
    if not root._requires_grad:
        _raise_no_graph()
    seed = _seed_gradient(root, grad, create_graph)
    wanted = None if inputs is None else {x: None for x in inputs}
    order = toposort(root, grad_only=True)
    if _trace_hook is not None:
        _trace_hook.record_backward(
            root, grad, seed, order, retain_graph, create_graph, wanted
        )
    grad_mode_before = _grad_mode.enabled
    _grad_mode.enabled = create_graph  # backward formulas record only for create_graph
    paused = _collector.pause(len(order))
    try:
        _sweep(order, seed, wanted, retain_graph, create_graph)
    except BaseException:
        _discard_partial_gradients(order)
        raise
    finally:
        _grad_mode.enabled = grad_mode_before
        if paused:
            _collector.resume()
    if not retain_graph:
        _graph_freed()
    return None if wanted is None else _wanted_gradients(inputs, wanted, create_graph)


def _sweep(order: list, seed: Any, wanted: dict | None, retain: bool, create: bool):
    """The backward loop. A leaf's gradient waits in ``leaf_grads`` (a leaf may be
    shared with another thread's graph); every other node accumulates on itself."""
    leaf_grads: dict = {}
    # memory already given to a .grad (never share it), and the seed's: it may be
    # the caller's array, so neither it nor a view of it may become a .grad
    stored = set() if create else {id(seed if seed.base is None else seed.base)}
    visit_every_node = wanted is not None  # grad(): look for the wanted tensors
    _accumulate(order[-1], seed, leaf_grads)
    for t in reversed(order):
        fn = t._fn
        if fn is None:  # a leaf: its gradient is complete, hand it over
            g = leaf_grads.pop(t, None)
            if g is None:
                continue
            if t._watched or visit_every_node or create:
                _visit(t, g, wanted, create, stored)  # hooks, wanted, .grad
            else:
                _store_grad(t, g, stored)  # the common case: into .grad
            continue
        g, t._grad_acc = t._grad_acc, None
        if g is None:
            continue  # nothing flows through t
        if t._watched or visit_every_node:
            g = _visit(t, g, wanted, create, stored)  # hooks, retain_grad, wanted
        if t._saved is None:
            _raise_freed(fn)
        if _clock != t._stamp:
            _check_versions(t)
        if fn.differentiable_backward:  # built-ins: the formula sees arrays or Tensors
            if create:
                grads = _create_graph_backward(t, g)
            else:
                grads = fn.backward(t, g)
                if type(grads) is not tuple:
                    grads = (grads,)
        else:
            grads = _user_backward(t, g, create)
        if _anomaly_check is not None:
            _anomaly_check(fn, t._inputs, "backward", grads)
        if _trace_hook is not None:
            _trace_hook.record_node(t, grads)
        for x, gx in zip(t._inputs, grads):
            if gx is None or not x._requires_grad:
                continue
            data = x.data
            if gx.shape != data.shape:
                gx = unbroadcast(gx, data.shape, fn.name)
            if gx.dtype is not data.dtype and gx.dtype != data.dtype:  # (`is`: fast)
                if data.dtype.kind != "f":
                    _raise_not_float_data(x)  # (its .data was replaced by ints)
                gx = gx.astype(data.dtype)  # a float32 input gets a float32 gradient
            if x._fn is None:
                previous = leaf_grads.get(x)
                leaf_grads[x] = gx if previous is None else previous + gx
            else:
                previous = x._grad_acc
                x._grad_acc = gx if previous is None else previous + gx
        if not retain:
            t._saved = None  # free what forward saved; the graph's shape stays


def unbroadcast(grad, shape: tuple, op_name: str = "op"):
    """Sum ``grad`` down to ``shape``, undoing NumPy broadcasting (its adjoint is a
    sum).

    Works on arrays and on Tensors alike (so it is differentiable under create_graph).

    >>> import numpy as np
    >>> unbroadcast(np.ones((2, 3, 4)), (3, 1)).shape
    (3, 1)
    """
    extra = grad.ndim - len(shape)
    if extra < 0:
        raise RuntimeError(
            f"{op_name}: gradient of shape {tuple(grad.shape)} has fewer dims than its "
            f"input of shape {shape}"
        )
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))  # new leading axes
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)  # stretched size-1 axes
    if tuple(grad.shape) != tuple(shape):
        raise RuntimeError(
            f"{op_name}.backward: gradient of shape {tuple(grad.shape)} does not fit "
            f"its input of shape {shape}"
        )
    return grad


# ==== the sweep's helpers ============================================================


def _create_graph_backward(t: Tensor, g: Tensor) -> tuple:
    """A built-in backward under create_graph: ``ctx.values``/``ctx.out`` are the
    Tensors themselves, so the formula records a graph of its own."""
    t._out = t  # (ctx.out is t while this runs; t would hold itself after)
    try:
        grads = t._fn.backward(t, g)
    finally:
        t._out = None
    if type(grads) is not tuple:
        grads = (grads,)
    return tuple([None if gx is None else as_tensor(gx) for gx in grads])


def _kahn(root: Tensor, tensors: list[Tensor]) -> list[Tensor]:
    """Kahn's algorithm: count each tensor's consumers, then list the tensors from
    the root down, each once all of its consumers are listed, and reverse."""
    consumers = dict.fromkeys(tensors, 0)
    for t in tensors:
        if t._fn is not None:
            for x in t._inputs:
                if x in consumers:
                    consumers[x] += 1
    order, ready = [], [root]
    while ready:
        t = ready.pop()
        order.append(t)
        if t._fn is not None:
            for x in t._inputs:
                left = consumers.get(x)
                if left == 1:
                    ready.append(x)  # its last consumer is listed
                elif left is not None:
                    consumers[x] = left - 1
    order.reverse()
    return order


def _accumulate(t: Tensor, g: Any, leaf_grads: dict) -> None:
    """Add gradient ``g`` into what ``t`` has received so far (used for the seed)."""
    if t._fn is None:
        previous = leaf_grads.get(t)
        leaf_grads[t] = g if previous is None else previous + g
    else:
        t._grad_acc = g if t._grad_acc is None else t._grad_acc + g


def _visit(t: Tensor, g: Any, wanted: dict | None, create_graph: bool, stored: set):
    """t's gradient is complete: run its hooks, then hand it to whoever wants it
    (``wanted`` for ``gradients()``, else ``.grad`` of a leaf or a retain_grad node)."""
    if t._hooks:
        g = _call_hooks(t, g, create_graph)
    if wanted is not None:
        if t in wanted:
            wanted[t] = g
    elif t._fn is None or t._retains_grad:
        if create_graph:  # a Tensor with a graph of its own: summed as Tensors
            t.grad = g if t.grad is None else t.grad + g
        else:
            _store_grad(t, g, stored)
    return g


def _call_hooks(t: Tensor, g: Any, create_graph: bool):
    """Hooks see the gradient as a Tensor and may return a replacement, which keeps
    t's shape and dtype (a float64 result for a float32 tensor is cast back)."""
    for hook in t._hooks:
        result = hook(g if create_graph else Tensor._from_array(g))
        if result is not None:
            result = as_tensor(result)
            if result.shape != t.shape:
                raise RuntimeError(
                    f"hook {getattr(hook, '__name__', hook)!r}: gradient has shape "
                    f"{result.shape} but the tensor has shape {t.shape}"
                )
            if result.dtype != t.dtype:
                result = result.astype(t.dtype)
            g = result if create_graph else result.data
    return g


def _store_grad(t: Tensor, g: np.ndarray, stored: set[int]) -> None:
    """Accumulate g into t.grad (``+=``, never ``=``: gradients add up over uses)."""
    if id(g) in stored or not g.flags.writeable or id(g.base) in stored:
        g = g.copy()  # broadcast views are read-only; no memory serves two .grads
    stored.add(id(g))
    previous = t._grad  # (the slot behind .grad: g has t's shape and dtype already)
    t._grad = Tensor._from_array(g if previous is None else previous.data + g)


def _discard_partial_gradients(order: list) -> None:
    """A sweep that raised leaves half-summed gradients on nodes: drop them, so a
    later backward (after retain_graph) starts clean, and no ``ctx.out`` stays set."""
    for t in order:
        t._grad_acc = None
        if t._fn is not None:
            t._out = None


def _seed_gradient(root: Tensor, grad: GradLike, create_graph: bool):
    """The gradient backward starts from: 1 for a scalar, else the caller's."""
    if grad is None:
        if root.size != 1:
            raise RuntimeError(
                f"backward: grad can be implicit only for a scalar output, but the "
                f"output has shape {root.shape}; pass grad= of that shape "
                "(or call .sum().backward())"
            )
        seed = constants.one(root.data)
    else:
        seed = grad.data if isinstance(grad, Tensor) else np.asarray(grad)
        if seed.dtype.kind not in "biuf":
            raise TypeError(
                f"backward: grad must be numeric (a Tensor, ndarray or number), got "
                f"{type(grad).__name__} of dtype {seed.dtype}"
            )
        if seed.shape != root.shape:
            raise ValueError(
                f"backward: grad has shape {seed.shape} but the output has shape "
                f"{root.shape}; they must match"
            )
        # no copy (a conv's cotangent is megabytes): the sweep never hands the seed
        # itself to a .grad (_sweep counts it as stored), so no .grad aliases it
        seed = np.asarray(seed, dtype=root.dtype)
    return Tensor(seed.copy()) if create_graph else seed


def _wanted_gradients(inputs: Sequence[Tensor], wanted: dict, create_graph: bool):
    """``gradients()``'s answer: one per input, zeros where nothing flowed."""
    results = []
    for x in inputs:
        g = wanted[x]
        if g is None:
            g = np.zeros(x.shape, dtype=x.dtype)
            g = Tensor(g) if create_graph else g
        results.append(g if create_graph else Tensor._from_array(g))
    return results


# ==== guards: each is one comparison on the hot path, then one of these calls ========


def _raise_no_graph() -> None:
    raise RuntimeError(
        "backward: this tensor does not require grad and has no grad_fn; create the "
        "leaves with requires_grad=True (and not under no_grad())"
    )


def _raise_freed(fn: type) -> None:
    raise RuntimeError(
        f"{fn.name}: trying to backward through the graph a second time (its saved "
        "values were freed after the first backward); call backward(retain_graph="
        "True) the first time if you need to backward twice"
    )


def _raise_not_float(fn: type, data: np.ndarray) -> None:
    raise TypeError(
        f"{fn.name}: produced a {data.dtype} result from inputs that require grad; "
        "only floating-point results can be differentiated"
    )


def _raise_not_float_data(x: Tensor) -> None:
    raise TypeError(f"backward: a tensor of shape {x.shape} that requires grad holds "
                    f"{x.data.dtype} data (was its .data replaced?); give it floats")


def _raise_explained(fn: type, error: Exception, inputs: tuple, params: dict) -> None:
    """Re-raise a forward's NumPy error as ``fn.explain_error`` words it."""
    explained = fn.explain_error(error, inputs, params)
    if explained is error:
        raise error
    raise explained from error


# ---- the in-place check: a version clock, and one version cell per storage ----------

# Bumped by every in-place change. An op records the clock's value (``_stamp``); a
# tensor changed in place records the new value in its storage's version cell
# (``_vc``, a one-element list shared by every alias of the storage: views,
# detach(), Tensor(t)). While the clock still equals an op's stamp nothing anywhere
# changed since the op ran, and backward looks no further than that one comparison.
_clock = 0


def mark_modified(*tensors: Tensor) -> None:
    """Tell autograd that ``tensors`` were changed in place (their storage, through
    any alias): a graph that used them before refuses to backpropagate, as in PyTorch.

    Tensor's in-place operators call it; so do the optimizers after each step.

    >>> import tinygrad_edu as tg
    >>> a = tg.Tensor([1.0, 2.0], requires_grad=True)
    >>> b = (a * a).sum()
    >>> mark_modified(a)
    >>> try:
    ...     b.backward()
    ... except RuntimeError as err:
    ...     print("modified in place" in str(err))
    True
    """
    global _clock
    _clock += 1
    for t in tensors:
        cell = t._vc
        if cell is None:
            t._vc = [_clock]
        else:
            cell[0] = _clock
    if _trace_hook is not None:
        _trace_hook.record_modified(tensors)


def share_version(alias: Tensor, of: Tensor) -> None:
    """``alias`` shares ``of``'s storage (a view, a detach): one version cell for
    both."""
    cell = of._vc
    if cell is None:
        cell = of._vc = [0]
    alias._vc = cell


def _share_version_with_base(out: Tensor, inputs: tuple) -> None:
    """``out.data`` is a view: share the version cell of the input it views, found
    through NumPy's ``.base`` (a view's base is the array that owns the memory)."""
    base = out.data.base
    for x in inputs:
        if x.data is base or x.data.base is base:
            share_version(out, x)
            return


def _check_versions(t: Tensor) -> None:
    """Something was changed in place since t's op ran: was it one of its inputs,
    or t itself (some backwards use the output)?"""
    stamp = t._stamp
    for i, x in enumerate((*t._inputs, t)):
        cell = x._vc
        if cell is not None and cell[0] > stamp:
            what = "its output" if x is t else f"input {i}"
            raise RuntimeError(
                f"{t._fn.name}: {what} (shape {x.shape}) was modified in place after "
                "the op used it, so its gradient would be wrong; use an out-of-place "
                "op (x = x + 1) instead"
            )


# ---- the collector while a graph is recorded (grad_mode._RecordingPolicy) ----------

_recorded = 0  # ops recorded since the last sweep freed its graph
_next_raise = _recording.first_raise


def _raise_collector_threshold() -> None:
    """``apply`` counted ``_next_raise`` recorded ops: at ``first_raise`` and each
    doubling after it, the collector's generation-0 threshold grows with the graph."""
    global _next_raise
    _next_raise = _recording.grow(_recorded)


def _graph_freed() -> None:
    """A sweep freed its graph: count afresh, and the thresholds as they were."""
    global _recorded, _next_raise
    _recorded, _next_raise = 0, _recording.first_raise
    _recording.graph_freed()


# ---- the anomaly hook ----------------------------------------------------------------

# set by tinygrad_edu.debug.detect_anomaly() through set_anomaly_hook; None costs one
# comparison per op. Called as hook(fn, inputs, "forward" | "backward", results).
_anomaly_check: Callable | None = None


def set_anomaly_hook(hook: Callable | None) -> Callable | None:
    """Install ``hook(fn, inputs, phase, results)``, called after every op's forward
    and backward (None removes it); returns the previous hook."""
    global _anomaly_check
    previous, _anomaly_check = _anomaly_check, hook
    return previous


# ---- the trace hook ------------------------------------------------------------------

# set by tinygrad_edu.compile while it traces a call; None costs one comparison per
# op, per backward, per node of the sweep and per mark_modified
_trace_hook: Any = None


def set_trace_hook(recorder: Any) -> Any:
    """Install ``recorder`` (``record_op``, ``record_backward``, ``record_node``,
    ``record_call``, ``record_module``, ``record_modified``: compiler/record.py's
    ``Recorder``), or None to remove it; returns the previous one."""
    global _trace_hook
    previous, _trace_hook = _trace_hook, recorder
    return previous


# imported last: Function.apply is this module's apply (re-exported, as are the checks
# apply and _sweep make on a user-written op)
from .function import (  # noqa: E402
    Context, Function, Node, _check_ctx_names, _raise_ctx_name, _user_backward,
)

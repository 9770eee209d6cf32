"""The graph and the backward engine: Context, Function, grad mode, toposort, backward.

Every op is a ``Function``: a ``forward`` on NumPy arrays and a ``backward`` next to
it. Calling ``SomeOp.apply(*tensors)`` runs the forward and, when a gradient is
wanted, records a ``Context`` on the output (``out.grad_fn``): the op, its input
Tensors and whatever the forward saved. ``Tensor.backward`` walks those records in
reverse topological order, asks each op for its inputs' gradients and accumulates
them into the leaves' ``.grad``.

One formula, two speeds. A built-in op (``differentiable_backward = True``) writes
its backward once, on the *values* ``ctx.values`` / ``ctx.out`` and the incoming
``grad``. In an ordinary backward these are NumPy arrays, so the backward is plain
NumPy. Under ``create_graph=True`` they are Tensors, so the very same formula
records a graph of its own, and gradients of gradients come for free (DeZero's
idea). Tensor names its methods like ndarray's (``sum(axis, keepdims)``,
``reshape``, ``transpose``, ``T``) so that the same line works on both.

Read next: ``ops/binary.py``.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from typing import Any, Callable, ClassVar, Sequence, Union

import numpy as np

from .tensor import Tensor, as_tensor

# ---- grad mode -------------------------------------------------------------------


class _GradMode(threading.local):
    """Thread-local, as in PyTorch: no_grad() in one thread leaves the others alone."""

    enabled = True


_grad_mode = _GradMode()


def is_grad_enabled() -> bool:
    """True when ops record the graph (the default)."""
    return _grad_mode.enabled


class set_grad_enabled(contextlib.ContextDecorator):
    """Context manager / decorator that switches graph recording on or off."""

    def __init__(self, mode: bool) -> None:
        self.mode = bool(mode)
        self.previous: list[bool] = []

    def _recreate_cm(self):
        # as a decorator, each call gets its own saved state (recursion, threads)
        return type(self)(self.mode) if type(self) is set_grad_enabled else type(self)()

    def __enter__(self) -> None:
        self.previous.append(_grad_mode.enabled)
        _grad_mode.enabled = self.mode

    def __exit__(self, *exc: Any) -> None:
        _grad_mode.enabled = self.previous.pop()


class no_grad(set_grad_enabled):
    """Ops inside record no graph: for evaluation and for optimizer updates.

    >>> import tinygrad_edu as tg
    >>> x = tg.Tensor([1.0, 2.0], requires_grad=True)
    >>> with tg.no_grad():
    ...     y = x * 2
    >>> y.requires_grad
    False
    """

    def __init__(self) -> None:
        super().__init__(False)


class enable_grad(set_grad_enabled):
    """Record the graph again inside a ``no_grad`` block (or as a decorator)."""

    def __init__(self) -> None:
        super().__init__(True)


# ---- the record of one op --------------------------------------------------------


class Context:
    """What backward needs to know about one op application (the node ``out.grad_fn``).

    ``inputs``: the input Tensors; ``saved_tensors``: what ``save_for_backward`` kept;
    ``needs_input_grad``: one bool per input; ``name``: the op's public name;
    ``params``: the op's keyword parameters (``{"negative_slope": 0.1}``);
    ``out``: while backward runs, the op's output (an array, or the Tensor under
    create_graph, so a formula such as exp's ``grad * ctx.out`` serves both).
    Ops may set any other attribute (``ctx.axis = axis``), as in PyTorch.
    """

    # filled in by Function.apply only when the graph is recorded: an op applied under
    # no_grad() pays for a bare object and nothing else
    __slots__ = (
        "fn", "inputs", "arrays", "needs_input_grad", "saved_tensors", "freed",
        "stamp", "tensor_mode", "out", "__dict__",
    )
    params: dict = {}

    def save_for_backward(self, *arrays: Any) -> None:
        """Keep arrays for backward (freed after backward unless retain_graph)."""
        self.saved_tensors = arrays

    @property
    def name(self) -> str:
        return self.fn.name

    @property
    def values(self) -> tuple:
        """The inputs as backward should see them: arrays, or Tensors under create_graph."""
        return self.inputs if self.tensor_mode else self.arrays

    def __repr__(self) -> str:
        return f"<{self.name}>"


# ---- Function: the op base class -------------------------------------------------


class Function:
    """Base class of every differentiable op: subclass it to write your own.

    ``forward(ctx, *arrays, **params)`` and ``backward(ctx, grad)`` are static methods
    on NumPy arrays; backward returns one gradient per input (``None`` for an input
    that needs none; a bare array for a single input).

    >>> import numpy as np, tinygrad_edu as tg
    >>> class Cube(tg.Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         ctx.save_for_backward(x)
    ...         return x ** 3
    ...     @staticmethod
    ...     def backward(ctx, grad):
    ...         (x,) = ctx.saved_tensors
    ...         return grad * 3 * x ** 2
    >>> x = tg.Tensor([2.0], requires_grad=True)
    >>> Cube.apply(x).backward(np.ones(1)); x.grad
    Tensor([12.], dtype=float32)
    """

    #: True for the built-ins: backward works on arrays *and* on Tensors (create_graph)
    differentiable_backward: ClassVar[bool] = False
    #: the op's public name, used in error messages and graph pictures
    name: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.__dict__.get("name"):
            cls.name = cls.__name__.lower()

    @staticmethod
    def forward(ctx: Context, *args: Any, **params: Any) -> np.ndarray:
        raise NotImplementedError("abstract: a Function subclass defines forward")

    @staticmethod
    def backward(ctx: Context, *grads: Any) -> Any:
        raise NotImplementedError("abstract: a Function subclass defines backward")

    @classmethod
    def apply(cls, *inputs: Any, **params: Any) -> Tensor:
        """Run the op: forward on the arrays, and record a Context when grad is wanted."""
        for x in inputs:
            if not isinstance(x, Tensor):  # a number or an array among the inputs
                inputs = _as_tensors(inputs)
                break
        ctx = Context.__new__(Context)
        ctx.fn, ctx.saved_tensors = cls, ()
        # a tuple of arrays: the cycle collector stops tracking it (a list it would
        # rescan for as long as the graph lives)
        arrays = tuple([x.data for x in inputs])
        try:
            data = cls.forward(ctx, *arrays, **params)
        except (ValueError, TypeError, IndexError) as error:
            raise cls.explain_error(error, inputs, params) from None
        if type(data) is not np.ndarray:  # NumPy returns scalars for 0-d results
            data = np.asarray(data)
        out = object.__new__(Tensor)  # Tensor._from_array(data), inlined: hot path
        out.data, out.requires_grad, out.grad_fn = data, False, None
        if _grad_mode.enabled:
            needs = tuple([x.requires_grad for x in inputs])
            if True in needs:
                if data.dtype.kind != "f":
                    raise TypeError(
                        f"{cls.name}: produced a {data.dtype} result from inputs that "
                        "require grad; only floating-point results can be differentiated"
                    )
                ctx.inputs, ctx.arrays, ctx.needs_input_grad = inputs, arrays, needs
                ctx.freed, ctx.tensor_mode = False, False
                ctx.stamp = _inplace_ops.count  # see the in-place check in backward
                if params:
                    ctx.params = params
                out.requires_grad = True
                out.grad_fn = ctx
        if _anomaly_check is not None:
            _anomaly_check(cls, inputs, "forward", (data,))
        return out

    @classmethod
    def explain_error(cls, error: Exception, tensors: Sequence[Tensor], params: dict):
        """Turn a NumPy error into one that names the op, the shapes and the dtypes."""
        if str(error).startswith(f"{cls.name}:"):
            return error  # our own check already said it all
        shapes = ", ".join(str(t.shape) for t in tensors)
        dtypes = ", ".join(str(t.dtype) for t in tensors)
        extra = f" with {params}" if params else ""
        message = f"{cls.name}: cannot apply to shapes {shapes} (dtypes {dtypes}){extra}: {error}"
        return type(error)(message)


class _InplaceOps:
    """Counts in-place ops. Each op's Context keeps the count it saw (``stamp``), each
    tensor changed in place the count of its last change (``_version``): an input
    changed after the op used it has ``_version > stamp``. While nothing ran in place
    since the op, backward needs to look no further than one comparison."""

    count = 0


_inplace_ops = _InplaceOps()

def _as_tensors(inputs: tuple) -> tuple:
    """Inputs as Tensors; a Python number takes the dtype of the first tensor among
    them, as NumPy 2 does (``float32_tensor * 2.0`` stays float32)."""
    like = next((x for x in inputs if isinstance(x, Tensor)), None)
    return tuple([as_tensor(x, like) for x in inputs])


# set by tinygrad_edu.debug.detect_anomaly(); None costs one comparison per op
_anomaly_check: Callable | None = None


# ---- the backward engine ---------------------------------------------------------


def toposort(root: Tensor, grad_only: bool = False) -> list[Tensor]:
    """Tensors reachable from ``root``, each listed after all of its inputs.

    Iterative depth-first search: the stack holds (tensor, iterator over its inputs
    not yet looked at); a tensor is listed once its iterator runs out. No recursion,
    so a chain of 100,000 ops is fine; inputs are visited in order, so the result is
    deterministic. ``grad_only`` leaves out the tensors that need no gradient
    (constants, data): backward has nothing to send them.
    """

    def inputs_of(t: Tensor):
        return iter(t.grad_fn.inputs) if t.grad_fn is not None else iter(())

    order: list[Tensor] = []
    # tensors as set members and dict keys: their hash is their identity (__eq__ is
    # elementwise, never called for a hash match), and no id() call per lookup
    visited = {root}
    stack = [(root, inputs_of(root))]
    while stack:
        t, pending = stack[-1]
        for x in pending:
            if x not in visited and (x.requires_grad or not grad_only):
                visited.add(x)
                stack.append((x, inputs_of(x)))
                break  # finish x's inputs first; t's iterator resumes after
        else:
            stack.pop()
            order.append(t)
    return order


GradLike = Union[Tensor, np.ndarray, float, int, None]


def _seed_gradient(root: Tensor, grad: GradLike, create_graph: bool):
    """The gradient backward starts from: 1 for a scalar, else the caller's."""
    if grad is None:
        if root.size != 1:
            raise RuntimeError(
                f"backward: grad can be implicit only for a scalar output, but the "
                f"output has shape {root.shape}; pass grad= of that shape "
                "(or call .sum().backward())"
            )
        seed = np.ones(root.shape, dtype=root.dtype)
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
        seed = np.array(seed, dtype=root.dtype)  # a copy: .grad never aliases caller data
    return Tensor(seed) if create_graph else seed


def _check_shape(g, t: Tensor, what: str) -> None:
    if g.shape != t.shape:
        raise RuntimeError(
            f"{what}: gradient has shape {tuple(g.shape)} but the tensor has shape "
            f"{t.shape}"
        )


def _call_hooks(t: Tensor, g, create_graph: bool):
    """Hooks see the gradient as a Tensor and may return a replacement."""
    for hook in t._hooks:
        result = hook(g if create_graph else Tensor._from_array(g))
        if result is not None:
            result = as_tensor(result)
            _check_shape(result, t, f"hook {getattr(hook, '__name__', hook)!r}")
            g = result if create_graph else result.data
    return g


def _store_grad(t: Tensor, g, create_graph: bool, stored: set[int]) -> None:
    """Accumulate g into t.grad (``+=``, never ``=``: gradients add up over uses)."""
    if create_graph:
        t.grad = g if t.grad is None else t.grad + g
        return
    if not g.flags.writeable or id(g) in stored:
        g = g.copy()  # broadcast views are read-only; one array never serves two leaves
    stored.add(id(g))
    if t.grad is None:
        t.grad = Tensor._from_array(g)
    else:
        t.grad = Tensor._from_array(t.grad.data + g)


def backpropagate(
    root: Tensor,
    grad: GradLike = None,
    retain_graph: bool = False,
    create_graph: bool = False,
    inputs: Sequence[Tensor] | None = None,
) -> list | None:
    """Reverse-mode sweep from ``root``.

    Without ``inputs`` it accumulates into ``.grad`` of the leaves (``Tensor.backward``);
    with ``inputs`` it returns their gradients and touches no ``.grad``
    (``tinygrad_edu.grad``, like ``torch.autograd.grad``).
    """
    if not root.requires_grad:
        raise RuntimeError(
            "backward: this tensor does not require grad and has no grad_fn; create the "
            "leaves with requires_grad=True (and not under no_grad())"
        )
    seed = _seed_gradient(root, grad, create_graph)
    wanted = None if inputs is None else {x: None for x in inputs}
    # Under create_graph the backward formulas record a graph of their own; otherwise
    # they must not. The cycle collector is paused: the sweep allocates many
    # short-lived objects while it frees the graph, and the collector would keep
    # rescanning that graph (a large part of a long chain's backward time) and find
    # nothing, since a graph holds no cycles (create_graph's leaf -> .grad -> graph ->
    # leaf cycle is collected after the sweep, as usual). Both are restored after,
    # error or not; a collector the user had switched off stays off.
    grad_mode_before, collector_was_on = _grad_mode.enabled, gc.isenabled()
    _grad_mode.enabled = create_graph
    gc.disable()
    try:
        _sweep(root, seed, wanted, retain_graph, create_graph)
    finally:
        _grad_mode.enabled = grad_mode_before
        if collector_was_on:
            gc.enable()
    if wanted is None:
        return None
    results = []
    for x in inputs:
        g = wanted[x]
        if g is None:
            g = np.zeros(x.shape, dtype=x.dtype)
            g = Tensor(g) if create_graph else g
        results.append(g if create_graph else Tensor._from_array(g))
    return results


def _sweep(
    root: Tensor, seed: Any, wanted: dict | None, retain_graph: bool, create_graph: bool
) -> None:
    """backpropagate's loop: each op, in reverse topological order, turns its output's
    gradient into its inputs' gradients; leaves accumulate theirs into ``.grad``
    (or, when ``wanted`` is given, the wanted tensors' gradients are put there)."""
    grads: dict[Tensor, Any] = {root: seed}
    stored: set[int] = set()
    for t in reversed(toposort(root, grad_only=True)):
        # all of t's gradient contributions have arrived: its consumers come later
        # in topological order, so they were processed before it
        g = grads.pop(t, None)
        if g is None:
            continue
        if t._hooks:
            g = _call_hooks(t, g, create_graph)
        if wanted is not None and t in wanted:
            wanted[t] = g
        ctx = t.grad_fn
        if ctx is None:
            if wanted is None and t.requires_grad:
                _store_grad(t, g, create_graph, stored)
            continue
        if wanted is None and t._retains_grad:
            _store_grad(t, g, create_graph, stored)
        for x, gx in zip(ctx.inputs, _op_backward(ctx, t, g, create_graph)):
            if gx is None or not x.requires_grad:
                continue
            if gx.shape != x.data.shape:
                gx = unbroadcast(gx, x.data.shape, ctx.fn.name)
            dtype = x.data.dtype  # a float32 input gets a float32 gradient
            if gx.dtype is not dtype and gx.dtype != dtype:  # (`is`: the fast path)
                gx = gx.astype(dtype)
            previous = grads.get(x)
            grads[x] = gx if previous is None else previous + gx
        if not retain_graph:
            ctx.saved_tensors = None
            ctx.freed = True


def _op_backward(ctx: Context, out: Tensor, grad: Any, create_graph: bool) -> tuple:
    """Call one op's backward (``out`` is its output) and check what it returns."""
    fn = ctx.fn
    if ctx.freed:
        raise RuntimeError(
            f"{fn.name}: trying to backward through the graph a second time (its saved "
            "values were freed after the first backward); call backward(retain_graph="
            "True) the first time if you need to backward twice"
        )
    if _inplace_ops.count != ctx.stamp:
        for i, x in enumerate(ctx.inputs):
            if x._version > ctx.stamp:
                raise RuntimeError(
                    f"{fn.name}: input {i} (shape {x.shape}) was modified in place after "
                    "the op used it, so its gradient would be wrong; use an "
                    "out-of-place op (x = x + 1) instead"
                )
    if fn.differentiable_backward:
        ctx.tensor_mode, ctx.out = create_graph, (out if create_graph else out.data)
        result = fn.backward(ctx, grad)
        ctx.out = None  # (the Tensor would make a cycle out -> ctx -> out)
        if type(result) is not tuple:
            result = (result,)
        if create_graph:
            result = tuple([None if g is None else as_tensor(g) for g in result])
        if _anomaly_check is not None:
            _anomaly_check(fn, ctx.inputs, "backward", result)
        return result  # built-ins return one gradient per input by construction
    else:
        if create_graph:
            raise RuntimeError(
                f"{fn.name}.backward works on NumPy arrays, so it cannot be "
                "differentiated; create_graph=True is unsupported through it"
            )
        ctx.out = out.data
        result = fn.backward(ctx, np.ascontiguousarray(grad))
        ctx.out = None
        result = _user_gradients(fn, ctx, result)
    if len(result) != len(ctx.inputs):
        raise RuntimeError(
            f"{fn.name}.backward returned {len(result)} gradients for "
            f"{len(ctx.inputs)} inputs"
        )
    if _anomaly_check is not None:
        _anomaly_check(fn, ctx.inputs, "backward", result)
    return result


def _user_gradients(fn: type, ctx: Context, result: Any) -> tuple:
    """A user Function may return arrays, Tensors, numbers or None; check each."""
    if not isinstance(result, (tuple, list)):
        result = (result,)
    checked = []
    for i, (x, g) in enumerate(zip(ctx.inputs, result)):
        if g is not None:
            g = np.asarray(g.data if isinstance(g, Tensor) else g, dtype=x.dtype)
            try:
                np.broadcast_shapes(g.shape, x.shape)
            except ValueError:
                raise RuntimeError(
                    f"{fn.name}.backward returned a gradient of shape {g.shape} for "
                    f"input {i} of shape {x.shape}"
                ) from None
        checked.append(g)
    return tuple(checked) + tuple(result[len(checked):])


def unbroadcast(grad, shape: tuple, op_name: str = "op"):
    """Sum ``grad`` down to ``shape``, undoing NumPy broadcasting (its adjoint is a sum).

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

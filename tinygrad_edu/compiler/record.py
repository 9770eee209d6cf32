"""The recorder: what ``tinygrad_edu.compile`` learns from one eager call.

While a call is traced, autograd calls the recorder (``autograd.set_trace_hook``):
``record_op`` after every op's forward, ``record_backward`` when backward starts,
``record_node`` after each node's backward in the sweep, ``record_call`` when an
optimizer's ``step``/``zero_grad`` (or a module's ``zero_grad``) runs. The eager
call runs as usual; the recorder writes down, as a flat list of ``Step``s, the same
NumPy work in the same order: each step a closure without arguments, or a list of
instructions on arrays bound now (``lowerings.py``).

Values live in *mirrors*: one Tensor object per traced tensor, made once. A lowered
op's mirror holds its buffer, the same array at every call (``fixed``), so later
steps bind it; other mirrors get a new ``.data`` at each call (arguments, generic
steps' results). An op's output mirror is also the op's ``ctx`` during replay (as
the output tensor is in eager mode), so a generic step calls the op's own
``forward``/``backward`` with no new object. Parameters and other tensors the
function captures are not mirrored: their arrays are bound (a parameter given a new
array records again, ``compiled.py``). Gradients: each tensor that receives one has
a *cell*; while tracing, ``content`` says which array a cell will hold when a
lowered step computes it (bound by the steps that read it), else a holder Tensor
carries it at replay.

Read next: ``compiler/steps.py`` (the generic steps), ``compiler/lowerings.py`` (faster
steps for the common ops).
"""

from __future__ import annotations

import threading
from typing import Any, Callable

import numpy as np

from .. import autograd
from ..optim.optimizer import Optimizer
from ..tensor import Tensor
from .lower import lower_backward, lower_call, lower_forward
from .lowerings import NO_ARG
from .steps import (
    Step,
    _binder,
    _generic_backward,
    _generic_forward,
    _store_arg_grad,
    store_grad,
)


def _mirror(like: Tensor) -> Tensor:
    """A fresh tensor object to hold one traced value at replay."""
    m = object.__new__(Tensor)
    m.data, m._requires_grad, m._fn, m._grad_acc, m._vc = (
        like.data,
        False,
        None,
        None,
        None,
    )
    return m


def refuse_read(owner: str, call: str) -> None:
    """Installed in ``tensor._tracing`` (with ``owner``, the traced function's name):
    reading a value while tracing is an error."""
    raise RuntimeError(
        f"compile({owner}): {call} uses a tensor's values outside the ops while the "
        "compiled function is being traced; the recording would freeze them (and an "
        "`if` on them). Move it outside the compiled function: return the tensor and "
        "read it on the result"
    )


def refuse_draw(owner: str) -> None:
    """Installed in ``_rng.draws`` (with ``owner``): a random draw while tracing is
    an error."""
    raise RuntimeError(
        f"compile({owner}): the function drew random numbers (dropout in training "
        "mode, tg.randn, ...); a recording would repeat the same draws every call. "
        "Call model.eval(), or run this function eagerly (fit: compile=False)"
    )


class Recorder:
    """Writes down one eager call of a compiled function as ``steps``.

    ``args`` are the call's Tensor arguments; ``arg_box`` is the list through which
    the replay sees the current call's arguments.
    """

    def __init__(self, owner: str, args: list[Tensor], arg_box: list) -> None:
        self.owner, self.thread = owner, threading.get_ident()
        self.steps: list[Step] = []
        self.arg_box = arg_box
        self.arg_mirrors = [_mirror(a) for a in args]
        self.mirrors: dict[Tensor, Tensor] = dict(zip(args, self.arg_mirrors))
        self.arg_index = {a: i for i, a in enumerate(args)}
        self.keep: list = list(args)  # traced tensors stay alive: ids stay unique
        self.G: list = []  # gradient cells: a holder Tensor whose .data a step sets
        self.cells: dict[Tensor, int] = {}  # traced tensor -> its cell
        self.content: dict[int, np.ndarray] = {}  # cell -> the array it will hold
        self.fixed: set[Tensor] = set()  # mirrors whose .data stays the same array
        self.made_in: dict[int, list] = {}  # id(gradient array) -> the step making it
        self.linkers: list = []  # run before the first replay (compiled.Recording.link)
        self.filled: set[int] = set()  # cells that got a gradient in this backward
        self.pending: list[Tensor] = []  # leaves whose .grad the backward fills
        self.leaves: dict[Tensor, None] = {}  # captured tensors read by the steps
        self.leaf_arrays: dict[Tensor, np.ndarray] = {}  # their arrays when first read
        self.leaf_values: dict[Tensor, np.ndarray] = {}  # parameters' values then
        self.modules: dict[int, tuple] = {}  # modules called: (module, its training)
        self.owners: dict[int, Any] = {}  # optimizers / modules whose calls replay
        self.grad_buffers: dict[Tensor, Tensor] = {}
        self.exclusive: dict[int, bool] = {}  # cell -> holds an array no one else has
        self.zeroed: set = set()  # leaves a recorded zero_grad cleared (since a store)
        self.stores: list = []  # (step, cell, leaf, which, buffer, may alias)
        self.done: set = set()  # nodes whose backward was recorded
        self.reused = False  # a graph was backpropagated twice (retain_graph)
        self.lowerings: dict = {}
        self.after_step = False  # an optimizer's step marks its parameters modified

    # ---- helpers ---------------------------------------------------------------

    def fail(self, what: str) -> None:
        raise RuntimeError(f"compile({self.owner}): {what}")

    def mine(self) -> bool:
        """Only the tracing thread's calls are recorded."""
        return threading.get_ident() == self.thread

    def record_modified(self, tensors: tuple) -> None:
        """``autograd.mark_modified`` ran: in the tracing thread, only an optimizer's
        step may change tensors in place (the recording replays it); anything else
        would not be replayed. Other threads' changes are their own."""
        if not self.mine():
            return
        if self.after_step:
            self.after_step = False
            return
        self.fail(
            "a tensor was changed in place (+=, -=, item assignment) during the "
            "traced call; write out-of-place ops (x = x + y) inside a compiled "
            "function"
        )

    def source(self, x: Tensor) -> Tensor:
        """The object that holds x's value at replay: its mirror; for a tensor made
        outside the ops on a traced value's array (``Tensor(x.data)``, a loss's
        target), a mirror given that array again at each call; else x itself
        (captured: parameters, constants, which keep their value).

        Results computed from traced values outside the ops are not recognised by
        their values: an equal captured constant must stay a constant. The library
        makes its own (comparisons, masks, shifts) with ops (``ops/nograd.py``)."""
        m = self.mirrors.get(x)
        if m is not None:
            return m
        if x in self.leaves:
            return x
        if not x.requires_grad:
            made = self.bind_array(x.data, by_value=False)
            if made is not None:
                m = _mirror(x)
                self.mirrors[x] = m
                self.keep.append(x)
                name, run = made
                self.add("bind", name, [x.shape], [x.shape], True, run(m))
                return m
        if self.is_a_gradient(x):
            self.fail(
                f"an op reads a .grad (shape {x.shape}) during the traced call "
                "(gradient clipping, a gradient norm); the recording would use the "
                "first call's gradient. Do it outside the compiled function, or in "
                "an optimizer (weight_decay)"
            )
        self.leaves[x] = None
        self.leaf_arrays[x] = x.data
        if x.requires_grad:  # (a parameter: finish() checks nothing else changed it)
            self.leaf_values[x] = x.data.copy()
        self.keep.append(x)
        return x

    def is_a_gradient(self, x: Tensor) -> bool:
        """x is the ``.grad`` of a tensor the call uses (a parameter, an argument)."""
        known = list(self.cells) + list(self.leaves) + list(self.arg_index)
        return any(x is t._grad for t in known if t is not x)

    def operand(self, x: Tensor) -> Any:
        """What an instruction holds for source x: its array, when that stays the
        same object at every call (a parameter -- a new one records again -- or a
        lowered op's buffer), else x itself (``.data`` read when it runs)."""
        return x.data if x in self.fixed or x in self.leaves else x

    def bind_param(self, value: Any) -> Callable | None:
        """A function giving a keyword parameter's value at each call, when it holds
        traced arrays: an ndarray, or a tuple of index parts (``x[i, 0]``,
        ``x[rows, targets]``); None for a constant."""
        if type(value) is np.ndarray:
            made = self.bind_array(value)
            return None if made is None else made[1](None)
        if type(value) is tuple and any(type(v) is np.ndarray for v in value):
            parts = [self.bind_param(v) for v in value]
            if all(part is None for part in parts):
                return None
            return lambda: tuple(
                [v if part is None else part() for v, part in zip(value, parts)]
            )
        return None

    def bind_array(
        self, array: Any, by_value: bool = True
    ) -> tuple[str, Callable] | None:
        """``(description, make_step)`` when ``array`` is a traced value's array (an
        argument's, an op's output's), a view of it (also reshaped, as a loss views a
        0-d target as shape (1,)), or (``by_value``: for the plain arrays an op takes
        as parameters, such as cross_entropy's class indices) a copy converted to
        another dtype with equal values; None otherwise. An equal array of the same
        dtype is not taken for a traced value: it is a constant that happens to be
        equal (``np.arange(n)`` next to labels 0..n-1)."""
        if not isinstance(array, np.ndarray):
            return None
        traced = list(self.mirrors.items())
        for t, m in traced:
            data = t.data
            if array is data:
                return f"value of shape {array.shape}", _binder(m, None)
            if array.base is not None and array.base is data:
                if array.shape == data.shape:
                    return f"value of shape {array.shape}", _binder(m, None)
                if array.size == data.size and data.flags.c_contiguous:
                    reshaped = _binder(m, None, array.shape)
                    return f"value of shape {array.shape}", reshaped
        if not by_value:
            return None
        for t, m in reversed(traced):
            data = t.data
            if (
                array.shape == data.shape
                and array.dtype != data.dtype
                and array.size > 1
                and np.array_equal(array, data)
            ):
                return f"value of shape {array.shape}", _binder(m, array.dtype)
        return None

    def add(
        self,
        kind: str,
        name: str,
        ins: list,
        outs: list,
        lowered: bool,
        run: Callable[[], None],
    ) -> None:
        self.steps.append(Step(kind, name, ins, outs, lowered, run))

    # ---- forward ---------------------------------------------------------------

    def record_op(self, fn: type, inputs: tuple, params: dict, out: Tensor) -> None:
        if threading.get_ident() != self.thread:
            return  # (another thread's op)
        if self.pending:
            self.flush()
        sources = tuple([self.source(x) for x in inputs])
        o = _mirror(out)
        o._fn, o._inputs, o._saved, o._out = fn, sources, (), None
        o._needs = out._needs if out._fn is not None else (False,) * len(inputs)
        o._params, o._stamp = out._params if out._fn is not None else None, 0
        o._requires_grad = out._requires_grad
        self.mirrors[out] = o
        self.keep.append(out)
        bound = {}  # keyword parameters made from traced values: made again each call
        for key, value in params.items():
            made = self.bind_param(value)
            if made is not None:
                bound[key] = made
        ins = [x.data.shape for x in inputs]
        run = lower_forward(self, fn, sources, params, o, out, bound)
        lowered = run is not None
        if run is None:
            run = _generic_forward(fn, sources, params, o, bound)
        self.add("forward", fn.name, ins, [out.data.shape], lowered, run)

    # ---- backward --------------------------------------------------------------

    def record_backward(self, root, grad, seed, order, retain, create, wanted) -> None:
        if not self.mine():
            return
        self.flush()
        if create:
            self.fail("backward(create_graph=True) cannot be compiled; call it eagerly")
        if wanted is not None:
            self.fail(
                "tg.grad / tg.gradients inside a compiled function are not "
                "supported; call loss.backward() and read .grad"
            )
        if autograd._anomaly_check is not None:
            self.fail(
                "anomaly mode (debug.detect_anomaly) is on; compile checks no "
                "values at replay, so switch it off or call the function eagerly"
            )
        if isinstance(grad, Tensor) and grad in self.mirrors:
            self.fail("backward(grad=...) with a traced tensor is not supported")
        for t in order:
            if t._fn is not None and t not in self.mirrors:
                self.fail(
                    f"backward reaches <{t._fn.name}> of shape {t.shape}, computed "
                    "outside this call (a graph kept from an earlier call, "
                    "retain_graph?)"
                )
            if t._watched:
                self.fail(
                    f"a tensor of shape {t.shape} has a hook or retain_grad(); hooks "
                    "(and their replacement gradients) cannot be replayed"
                )
        self.filled = set()
        root_cell = self.cell(root)
        seed = np.array(seed)
        seed.flags.writeable = False  # shared by every replay
        self.content[root_cell] = seed  # (bound by the steps that read it)
        self.add("seed", "backward", [], [root.shape], True, [])
        self.filled.add(root_cell)
        self.exclusive[root_cell] = False
        self.pending = [t for t in order if t._fn is None and t.requires_grad]

    def cell(self, t: Tensor) -> int:
        index = self.cells.get(t)
        if index is None:
            index = self.cells[t] = len(self.G)
            self.G.append(None)  # (its holder is made when a step needs it)
        return index

    def holder(self, cell: int) -> Tensor:
        """The Tensor through which a cell's gradient passes when it is new at every
        call (a generic step computed it)."""
        h = self.G[cell]
        if h is None:
            h = self.G[cell] = object.__new__(Tensor)
            h.data = None
        return h

    def grad_source(self, cell: int) -> Any:
        """Where a cell's gradient is at replay: its array when known now (bound),
        else its holder (``.data`` read at replay)."""
        array = self.content.get(cell)
        return self.holder(cell) if array is None else array

    def record_node(self, t: Tensor, grads: tuple) -> None:
        if not self.mine():
            return
        o = self.mirrors[t]
        if t in self.done:
            self.reused = True
        self.done.add(t)
        plan = []
        for i, (x, gx) in enumerate(zip(t._inputs, grads)):
            if gx is None or not x.requires_grad:
                continue
            target = self.cell(x)
            plan.append((i, target, x.shape, x.dtype, target in self.filled))
            self.filled.add(target)
        run = lower_backward(self, t, o, plan)
        lowered = run is not None
        if run is None:
            routes = [
                (i, self.holder(target), self.grad_source(target), shape, dtype, acc)
                for i, target, shape, dtype, acc in plan
            ]
            g = self.grad_source(self.cells[t])
            run = _generic_backward(t._fn, o, g, routes)
            for _, target, *_ in plan:
                self.exclusive[target] = False
                self.content.pop(target, None)
        shapes = [t._inputs[i].shape for i, *_ in plan]
        self.add("backward", t._fn.name, [t.shape], shapes, lowered, run)

    def flush(self) -> None:
        """After a backward: store the leaves' gradients into ``.grad`` (in the order
        the sweep reached them)."""
        pending, self.pending = self.pending, []
        for leaf in pending:
            index = self.cells.get(leaf)
            if index is None or index not in self.filled:
                continue
            self.source(leaf)
            which = self.arg_index.get(leaf)
            buffer = self.grad_buffers.get(leaf)
            if buffer is None:
                buffer = self.grad_buffers[leaf] = Tensor._from_array(
                    np.empty(leaf.shape, leaf.dtype)
                )
            self.add("grad", "store .grad", [leaf.shape], [leaf.shape], True, None)
            alias = leaf in self.zeroed and self.exclusive.get(index, False)
            source = self.grad_source(index)
            self.stores.append((self.steps[-1], source, leaf, which, buffer, alias))
            self.zeroed.discard(leaf)

    # ---- optimizer and module calls --------------------------------------------

    def record_module(self, module: Any) -> None:
        """A module was called: its ``training`` flag (dropout, batch norm) is part
        of what the recording assumes (``Recording.fits``)."""
        if self.mine() and id(module) not in self.modules:
            self.modules[id(module)] = (module, module.training)
            self.owners.setdefault(id(module), module)  # (check=True: its buffers)

    def record_call(self, method: Callable, owner: Any) -> None:
        if not self.mine():
            return
        self.flush()
        self.owners[id(owner)] = owner
        name = f"{type(owner).__name__}.{method.__name__}"
        run = lower_call(self, method, owner)
        lowered = run is not None
        params = getattr(owner, "params", None)
        shapes = [f"{len(params)} parameters"] if isinstance(params, list) else []
        self.add("call", name, shapes, shapes, lowered, run or method)
        # (an optimizer's step bumps the in-place clock; a scheduler's does not)
        self.after_step = method.__name__ == "step" and isinstance(owner, Optimizer)
        if method.__name__ == "zero_grad":
            cleared = params if isinstance(params, list) else list(owner.parameters())
            self.zeroed.update(cleared)

    def _check_captured(self) -> None:
        """A captured tensor's array replaced (``p.data = ...``), or a parameter's
        values changed outside the ops and the optimizers' steps (``p.data -= ...``)
        during the call: the replay would not do it again."""
        for t, array in self.leaf_arrays.items():
            if t.data is not array:
                self.fail(
                    f"a captured tensor of shape {t.shape} was given a new array during "
                    "the traced call (t.data = ...); the replay would not do that. "
                    "Update parameters with an optimizer, or outside the function"
                )
        stepped = {
            id(p) for o in self.owners.values() for p in getattr(o, "params", ())
        }
        for t, values in self.leaf_values.items():
            if id(t) not in stepped and not np.array_equal(t.data, values, True):
                self.fail(
                    f"a parameter of shape {t.shape} was changed through .data during "
                    "the traced call (p.data -= lr * p.grad.data); the replay would not "
                    "change it. Use an optimizer (opt.step()), or update outside the "
                    "function"
                )

    def remap(self, moved: dict, places: list) -> None:
        """Replace arrays (by id) with others of the same shape wherever the
        recording holds them: the instructions at ``places`` ((list, index) pairs:
        all that hold them), known gradients, stores."""
        for run, k in places:
            run[k] = tuple([moved.get(id(a), a) for a in run[k]])
        for cell, a in self.content.items():
            if id(a) in moved:
                self.content[cell] = moved[id(a)]
        self.stores = [
            (s, moved.get(id(src), src), *rest) for s, src, *rest in self.stores
        ]

    def release(self) -> None:
        """The trace is over: drop what only recording needed (the eager tensors it
        kept alive, the lookup tables); what linking needs stays until it runs."""
        self.keep, self.mirrors, self.lowerings, self.done = [], {}, {}, set()
        self.leaf_arrays, self.leaf_values = {}, {}
        self.grad_buffers, self.arg_index, self.cells = {}, {}, {}

    def finish(self) -> None:
        """The call returned: store pending gradients, and accept the optimizer's
        version bump if the last event was a step."""
        self.flush()
        self._check_captured()
        for step, source, leaf, which, buffer, alias in self.stores:
            alias = alias and not self.reused
            if which is None:
                step.run = [(store_grad, source, NO_ARG, (leaf, buffer, alias))]
            else:
                step.run = _store_arg_grad(source, which, self.arg_box, buffer, alias)

"""``tinygrad_edu.compile``: trace a training step once, replay it as flat NumPy.

The first call with a given *signature* (shape, dtype and requires_grad of each
Tensor argument, the value of every other argument, grad mode) runs it eagerly while
a ``Recorder`` writes down what it did; that call's result is the eager result.
Later calls with the same signature *replay* the recording: a flat list of closures
on NumPy arrays, with no Tensor and no op record made per step.

>>> import numpy as np, tinygrad_edu as tg
>>> w = tg.nn.Parameter([1.0, 2.0])
>>> opt = tg.optim.SGD([w], lr=0.1)
>>> @tg.compile
... def step(x):
...     opt.zero_grad()
...     loss = ((w * x).sum() - 1.0) ** 2
...     loss.backward()
...     opt.step()
...     return loss
>>> [round(step(tg.Tensor([1.0, 1.0])).item(), 4) for _ in range(3)]
[4.0, 1.44, 0.5184]
"""

from __future__ import annotations

import functools
import threading
import warnings
from collections import OrderedDict
from operator import attrgetter, is_, is_not
from typing import Any, Callable

from .. import _rng, autograd
from ..tensor import Tensor, _tracing
from .check import _compare, _restore, _snapshot
from .record import Recorder, refuse_draw, refuse_read
from .steps import replay_runs

_data, _requires_grad = attrgetter("data"), attrgetter("requires_grad")
MAX_SIGNATURES = 8  # recordings kept per compiled function (least recently used goes)


class Recording:
    """One signature's recording: its steps, and how to feed and read them."""

    def __init__(self, recorder: Recorder, arg_box: list, outputs: Any) -> None:
        self.steps = recorder.steps
        self.runs: tuple | None = None  # made by link(), before the first replay
        self.recorder: Recorder | None = recorder  # (until then)
        self.arg_mirrors = recorder.arg_mirrors
        self.arg_box = arg_box
        self.uses_args = any(
            which is not None for _, _, _, which, *_ in recorder.stores
        )
        self.leaves = list(recorder.leaves)
        self.arrays = [t.data for t in self.leaves]  # their storage while tracing
        self.grad_flags = [t.requires_grad for t in self.leaves]
        self.modes = list(recorder.modules.values())  # (module, training) pairs
        self.owners = list(recorder.owners.values())
        # optimizers' parameter lists, as traced (a lowered step binds each one)
        self.param_lists = [
            (o.params, list(o.params))
            for o in self.owners
            if isinstance(getattr(o, "params", None), list)
        ]
        self.outputs = outputs  # ("none" | "one" | "tuple" | "list", [(kind, what)])
        shape, specs = outputs
        # the common case, a loss: one traced value, returned as a copy
        self.single = (
            specs[0][1] if shape == "one" and specs[0][0] == "mirror" else None
        )

    def fits(self) -> bool:
        """The guard on what the recording assumed: captured tensors have the same
        storage as while tracing (one identity test each: the replay's instructions
        hold those arrays) and the same ``requires_grad``; the modules called are in
        the same train/eval mode; the optimizers hold the same parameters. A change
        (``p.data = ...``, ``requires_grad_(False)``, ``model.eval()``, a parameter
        added to ``opt.params``) needs a new recording, made by the call that finds
        it."""
        return (
            not any(map(is_not, map(_data, self.leaves), self.arrays))
            and list(map(_requires_grad, self.leaves)) == self.grad_flags
            and all(module.training == mode for module, mode in self.modes)
            and all(
                len(now) == len(then) and all(map(is_, now, then))
                for now, then in self.param_lists
            )
        )

    def link(self) -> tuple:
        """Make the replay program, once, before the first replay (a call that is
        never replayed does not pay for it): the recorder's linkers run (SGD's flat
        gradient array), then the steps are fused into runs."""
        if self.runs is None:
            for link in self.recorder.linkers:
                link()
            self.runs, self.recorder = replay_runs(self.steps), None
        return self.runs

    def replay(self, args: list[Tensor]) -> Any:
        for m, a in zip(self.arg_mirrors, args):
            m.data = a.data
        runs = self.runs or self.link()
        if self.uses_args:  # (an argument's own .grad is stored)
            self.arg_box[:] = args
            try:
                for run in runs:
                    run()
            finally:
                self.arg_box.clear()
        else:
            for run in runs:
                run()
        return self.results(args)

    def results(self, args: list[Tensor]) -> Any:
        """Returned tensors are new, their arrays copies: they stay valid after the
        next call (the recording's buffers are reused by it)."""
        if self.single is not None:
            return Tensor._from_array(self.single.data.copy())
        shape, specs = self.outputs
        found = []
        for kind, what in specs:
            if kind == "arg":
                found.append(args[what])
            elif kind == "object":
                found.append(what)
            elif kind == "bound":  # (its value at this call, a copy)
                found.append(Tensor._from_array(what(None)().copy()))
            else:
                found.append(Tensor._from_array(what.data.copy()))
        if shape == "none":
            return None
        if shape == "one":
            return found[0]
        return found if shape == "list" else tuple(found)


class Compiled:
    """What ``@tg.compile`` returns: call it like the function; ``plan`` lists the
    recorded steps of the latest signature (``print(step)`` shows them), ``traces``
    counts the recordings made, ``cache`` holds the kept ones by signature."""

    def __init__(self, fn: Callable, check: bool = False) -> None:
        functools.update_wrapper(self, fn)
        self.fn, self.check = fn, bool(check)
        self.cache: OrderedDict = OrderedDict()
        self.traces = 0  # how many times a call was recorded
        self.last: Recording | None = None
        self._lock = threading.Lock()  # held while a call runs: calls cannot overlap

    @property
    def name(self) -> str:
        return getattr(self.fn, "__name__", "fn")

    # ---- the call -------------------------------------------------------------------

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        key, tensors = self.signature(args, kwargs)
        if not self._lock.acquire(False):
            raise RuntimeError(
                f"compile({self.name}): called again while it is running (a "
                "recursive call, or from two threads at once); a compiled function "
                "reuses its buffers, so calls must not overlap"
            )
        try:
            if _tracing.refuse is not None:  # (this thread traces another function)
                raise RuntimeError(
                    f"compile({self.name}): called while another compiled function is "
                    "being traced; compiled functions do not nest (its replay would "
                    "be invisible to the outer recording): call it eagerly there"
                )
            recording = self.cache.get(key)
            if recording is None or not recording.fits():
                return self._trace(key, args, kwargs, tensors)
            if recording is not self.last:  # (the last one used is already at the end)
                self.cache.move_to_end(key)
                self.last = recording
            if self.check:
                return self._checked(recording, args, kwargs, tensors)
            try:
                return recording.replay(tensors)
            except (ValueError, IndexError) as error:  # (NumPy's, from a step)
                raise RuntimeError(
                    f"compile({self.name}): the replay failed ({error}); a shape that "
                    "depends on the values (a boolean mask's selection, nonzero) "
                    "differs from the traced call's, which a recording cannot follow. "
                    "Run this function eagerly (the failed replay may have run part "
                    "of its steps)"
                ) from error
        finally:
            self._lock.release()

    def signature(self, args: tuple, kwargs: dict) -> tuple[tuple, list[Tensor]]:
        """The cache key (grad mode included: a trace without gradients records no
        backward; so is which arguments are the same Tensor: ``f(a, a)`` and
        ``f(a, b)`` record differently), and the Tensor arguments in order
        (positional, then keyword)."""
        parts = [autograd._grad_mode.enabled]
        for a in args:  # the common call, all positional Tensors, spelled out (fast)
            if type(a) is not Tensor:
                break
            data = a.data
            parts.append((data.shape, data.dtype, a.requires_grad))
        else:
            if not kwargs and len(set(map(id, args))) == len(args):  # no aliases
                return tuple(parts), list(args)
        parts, tensors = [autograd._grad_mode.enabled], []
        items = list(enumerate(args)) + sorted(kwargs.items())
        first: dict[int, Any] = {}  # a Tensor passed twice: where it came first
        for where, value in items:
            if isinstance(value, Tensor):
                same_as = first.setdefault(id(value), where)
                parts.append(
                    (where, value.shape, value.dtype.str, value.requires_grad, same_as)
                )
                tensors.append(value)
                continue
            try:
                hash(value)
            except TypeError:
                raise TypeError(
                    f"compile({self.name}): argument {where!r} is a "
                    f"{type(value).__name__}, which is not hashable; other arguments "
                    "than Tensors are part of the cache key (pass a Tensor, or a "
                    "hashable value such as a number, a string or a tuple of numbers)"
                ) from None
            parts.append((where, type(value), value))
        return tuple(parts), tensors

    # ---- tracing ------------------------------------------------------------------

    def _trace(self, key: tuple, args: tuple, kwargs: dict, tensors: list) -> Any:
        if autograd._trace_hook is not None:
            raise RuntimeError(
                f"compile({self.name}): another thread is tracing a compiled function; "
                "one trace runs at a time (replays may run in parallel)"
            )
        arg_box: list = []
        recorder = Recorder(self.name, tensors, arg_box)
        autograd.set_trace_hook(recorder)
        _tracing.refuse = functools.partial(refuse_read, self.name)
        _rng.draws.refuse = functools.partial(refuse_draw, self.name)
        # a trace allocates many small objects that all live on (steps, closures,
        # buffers): the cyclic collector's passes over them would find nothing
        paused = autograd._collector.pause(autograd._collector.min_nodes)
        try:
            result = self.fn(*args, **kwargs)
            recorder.finish()
            autograd.set_trace_hook(None)
            recording = Recording(recorder, arg_box, self._outputs(result, recorder))
            recorder.release()  # (its tensors go before the collector runs again)
            del recorder
        finally:
            autograd.set_trace_hook(None)
            _tracing.refuse = _rng.draws.refuse = None
            if paused:
                autograd._collector.resume()
        self.traces += 1
        self.cache.pop(key, None)  # (a guard miss replaces its recording)
        if len(self.cache) >= MAX_SIGNATURES:
            self.cache.popitem(last=False)
            warnings.warn(
                f"compile({self.name}): {self.traces} signatures recorded so far, more "
                f"than the {MAX_SIGNATURES} kept; each new shape, dtype or argument "
                "value records again (is an argument changing every call?)",
                RuntimeWarning,
                stacklevel=3,
            )
        self.cache[key] = self.last = recording
        return result  # (check=True compares from the next call on: this one is eager)

    def _outputs(self, result: Any, recorder: Recorder) -> tuple[str, list]:
        if result is None:
            return "none", []
        single = isinstance(result, Tensor)
        items = [result] if single else result
        if not isinstance(items, (tuple, list)) or not all(
            isinstance(t, Tensor) for t in items
        ):
            kind = type(result).__name__
            raise TypeError(
                f"compile({self.name}): the function returned a {kind}; a compiled "
                "function returns a Tensor, a tuple of Tensors or None (read numbers "
                "with .item() on the result, outside the function)"
            )
        specs = []
        for t in items:
            if t in recorder.arg_index:
                specs.append(("arg", recorder.arg_index[t]))
            elif t in recorder.mirrors:
                specs.append(("mirror", recorder.mirrors[t]))
            elif recorder.is_a_gradient(t):
                recorder.fail(
                    f"the function returns a .grad (shape {t.shape}); the replay "
                    "fills .grad in place: read it after the call instead"
                )
            else:  # a traced value seen through a new tensor (x.detach()), or a
                bound = recorder.bind_array(t.data, by_value=False)  # constant
                specs.append(("object", t) if bound is None else ("bound", bound[1]))
        if single:
            return "one", specs
        return ("list" if isinstance(result, list) else "tuple"), specs

    # ---- check=True ---------------------------------------------------------------

    def _known_state(self) -> tuple[list, list]:
        """The parameters and optimizers (modules) the recordings touch."""
        leaves, owners = {}, {}
        for recording in self.cache.values():
            leaves.update(dict.fromkeys(recording.leaves))
            owners.update({id(o): o for o in recording.owners})
        return list(leaves), list(owners.values())

    def _checked(self, recording: Recording, args: tuple, kwargs: dict, tensors: list):
        start = _snapshot(self._known_state())
        result = self.fn(*args, **kwargs)
        eager = _snapshot(self._known_state(), result)
        _restore(start)
        compiled = recording.replay(tensors)
        _compare(self.name, eager, _snapshot(self._known_state(), compiled))
        return compiled

    # ---- teaching -----------------------------------------------------------------

    @property
    def plan(self) -> list:
        """The steps of the latest recording (empty before the first call)."""
        if self.last is None:
            return []
        self.last.link()  # (so each step knows its run)
        return list(self.last.steps)

    def __str__(self) -> str:
        if self.last is None:
            return f"compiled {self.name}: not traced yet (call it once)"
        steps = self.plan
        lowered = sum(step.lowered for step in steps)
        lines = [
            f"compiled {self.name}: {len(steps)} steps, {lowered} lowered, replayed "
            f"as {len(self.last.runs)} runs, {len(self.cache)} signature(s)"
        ]
        lines += [f"{i:4d}  {step}" for i, step in enumerate(steps)]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<compiled {self.name}: {len(self.cache)} signature(s)>"

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        """``@tg.compile`` on a method: ``obj.step(x)`` calls this with ``obj``
        first (an argument like any other: each object records its own trace)."""
        if instance is None:
            return self
        return functools.partial(self, instance)


def compile(fn: Callable | None = None, *, check: bool = False) -> Any:  # noqa: A001
    """Trace ``fn`` (forward, backward, optimizer step) on its first call with each
    signature and replay the recording on later calls; ``check=True`` also runs it
    eagerly every call and raises on any difference. Usable as ``@tg.compile`` and
    ``@tg.compile(check=True)``; see the module docstring and docs/compile.md.
    """
    if fn is None:
        return lambda f: compile(f, check=check)
    if not callable(fn):
        raise TypeError(f"compile: expected a function, got {type(fn).__name__}")
    return Compiled(fn, check)


def plan_to_dot(step: Compiled) -> str:
    """The latest recording of ``step`` as Graphviz DOT text: one box per step, in
    replay order, lowered steps filled, each with the run it replays in
    (``viz.render``-able, like ``viz.to_dot``).

    >>> import tinygrad_edu as tg
    >>> w = tg.Tensor([1.0], requires_grad=True)
    >>> f = tg.compile(lambda x: (w * x).sum().backward())
    >>> f(tg.Tensor([2.0])); print(plan_to_dot(f).splitlines()[0])
    digraph plan {
    """
    lines = [
        "digraph plan {",
        "  rankdir=TB;",
        '  node [shape=box, fontname="monospace"];',
    ]
    for i, s in enumerate(step.plan):
        shapes = ", ".join(str(x) for x in s.shapes_out)
        fill = ', style=filled, fillcolor="#d8ecd8"' if s.lowered else ""
        run = "no work at replay" if s.block is None else f"run {s.block}"
        label = f"{i}: {s.kind} {s.name}\\n-> {shapes}\\n{run}".replace('"', "'")
        lines.append(f'  s{i} [label="{label}"{fill}];')
        if i:
            lines.append(f"  s{i - 1} -> s{i};")
    lines.append("}")
    return "\n".join(lines)

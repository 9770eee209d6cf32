"""Grad mode and the collector policies: the switches the engine flips.

Grad mode (per thread) says whether ops record the graph: ``no_grad``,
``enable_grad``, ``set_grad_enabled``. ``autograd.apply`` reads
``_grad_mode.enabled`` once per op; ``autograd.backpropagate`` sets it to
``create_graph`` for the sweep and pauses the cyclic collector (``_collector``)
while a large sweep runs; while a large graph is recorded, collections grow rarer
(``_recording``). They are re-exported by ``autograd``.

Read next: ``function.py`` (the op base class).
"""

from __future__ import annotations

import contextlib
import gc
import threading
from typing import Any


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


class _SwitchWithoutArguments(set_grad_enabled):
    """A switch that takes no argument, so it also decorates bare, as in PyTorch 2:
    ``@no_grad`` is ``@no_grad()``. Python calls ``no_grad(f)`` then, so ``__new__``
    sees the function and returns it decorated by a fresh switch."""

    def __new__(cls, func: Any = None) -> Any:
        if func is None:
            return super().__new__(cls)
        if not callable(func):
            raise TypeError(
                f"{cls.__name__}() takes no arguments (bare, it decorates a function), "
                f"got {type(func).__name__} {func!r}"
            )
        return cls()(func)


class no_grad(_SwitchWithoutArguments):
    """Ops inside record no graph: for evaluation and for optimizer updates. A
    context manager or a decorator, with or without parentheses.

    >>> import tinygrad_edu as tg
    >>> x = tg.Tensor([1.0, 2.0], requires_grad=True)
    >>> with tg.no_grad():
    ...     y = x * 2
    >>> y.requires_grad
    False
    >>> @tg.no_grad
    ... def double(t):
    ...     return t * 2
    >>> double(x).requires_grad
    False
    """

    def __init__(self) -> None:
        super().__init__(False)


class enable_grad(_SwitchWithoutArguments):
    """Record the graph again inside a ``no_grad`` block (or as a decorator, with or
    without parentheses)."""

    def __init__(self) -> None:
        super().__init__(True)


# ==== the cyclic garbage collector during backward ==================================


class _CollectorPause:
    """While a large backward sweep runs, Python's cyclic collector is paused.

    Why: the sweep allocates many short-lived objects while it frees the graph, and
    each collection would rescan the whole live graph (a large part of a long chain's
    backward) and find nothing, since a graph holds no cycles.

    Policy, thread-safe and bounded: a lock-protected count of running sweeps. The
    first sweep to start (count 0 -> 1) switches the collector off only if it was on,
    and remembers that; the last to finish (1 -> 0) switches it back on only then. So
    two threads cannot interleave ``isenabled``/``disable``/``enable`` and leave it
    off, a collector the user switched off stays off, and it is paused only while a
    sweep of at least ``min_nodes`` nodes runs (small graphs never touch it). Caveat:
    ``gc.disable()`` called by other code *during* a sweep is undone when it ends.
    """

    min_nodes = 1000

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.running = 0
        self.switched_off = False

    def pause(self, n_nodes: int) -> bool:
        """Count a sweep of n_nodes in; True when resume() must be called after."""
        if n_nodes < self.min_nodes:
            return False
        with self.lock:
            self.running += 1
            if self.running == 1 and gc.isenabled():
                gc.disable()
                self.switched_off = True
        return True

    def resume(self) -> None:
        with self.lock:
            self.running -= 1
            if self.running == 0 and self.switched_off:
                self.switched_off = False
                gc.enable()


_collector = _CollectorPause()


class _RecordingPolicy:
    """While a large graph is being recorded, collections of generation 0 grow
    rarer, in proportion to the graph.

    Why: every tensor an op records is a tracked container, and each collection of
    the oldest generation rescans every tracked object of the process (a large
    graph, and whatever else is loaded: importing torch next to us doubles a
    100,000-op forward) to find nothing, since a graph has no cycles.

    Policy, thread-safe and bounded: ``autograd.apply`` counts the ops it records
    (one integer add and one comparison per op) and calls ``grow`` at
    ``first_raise`` recorded ops, then each time the count doubles. ``grow`` sets
    generation 0's threshold to the count, never above ``cap`` (so cyclic garbage
    of other code waits at most ``cap`` allocations, a few MiB), keeping the other
    two thresholds. ``graph_freed`` (called when a backward sweep ends: the graph
    it walked is freed) puts back the thresholds found before the first raise,
    unless somebody else changed them meanwhile (theirs are left alone); a threshold
    of 0 (automatic collection off) is never raised. Both run under a lock, so
    threads cannot interleave a read and a write of the threshold. A graph dropped
    without backward leaves the raised threshold (at most ``cap``) until the next
    backward ends.
    """

    first_raise = 10_000
    cap = 100_000

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.saved: tuple[int, ...] | None = None  # the thresholds before the raise
        self.ours = 0  # generation 0's threshold as we set it

    def grow(self, recorded: int) -> int:
        """``recorded`` ops are in the graph: raise the threshold to match; returns
        the count at which to call again."""
        with self.lock:
            current = gc.get_threshold()
            if current[0] == 0:  # 0 switches automatic collection off: keep it so
                return recorded * 2
            if self.saved is None:
                self.saved = current
            elif current[0] != self.ours:  # changed by somebody else: leave theirs
                return recorded * 2
            self.ours = min(self.cap, max(recorded, self.saved[0]))
            gc.set_threshold(self.ours, *current[1:])
        return recorded * 2

    def graph_freed(self) -> None:
        """A sweep freed its graph: the thresholds as they were before the raise."""
        if self.saved is None:  # (the common case: no lock, nothing to undo)
            return
        with self.lock:
            if self.saved is not None and gc.get_threshold()[0] == self.ours:
                gc.set_threshold(*self.saved)
            self.saved = None


_recording = _RecordingPolicy()

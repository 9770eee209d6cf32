"""Workloads 1 and 2: per-op overhead of a chain of tiny elementwise ops.

The chain, identical everywhere: starting from x = [0.5, 1, 1.5, 2] (float32, shape
(4,)), op i is ``x * c`` for even i (c a constant (4,) tensor close to 1, so nothing
overflows) and ``relu(x)`` for odd i; then ``sum`` and backward to x. Multiply and
relu are the mix every peer has (micrograd has no tanh). With 4 elements the
arithmetic is free, so the time is the framework's overhead per op, forward and
backward together.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import numpy as np

import tinygrad_edu as tg
from benchmarks import floor
from benchmarks.common import Peers, Row, add_ratios, interleaved, traced_peak

X0 = np.array([0.5, 1.0, 1.5, 2.0], dtype=np.float32)
# close enough to 1 that 50,000 products stay finite in float32 (1.0002**50000 = e**10)
C = np.array([0.9999, 1.0001, 0.9998, 1.0002], dtype=np.float32)


def expected_grad(n_ops: int) -> np.ndarray:
    """d sum(chain(x)) / dx: the product of the constants (x stays positive)."""
    return (C.astype(np.float64) ** ((n_ops + 1) // 2)).astype(np.float32)


def numpy_chain(n_ops: int) -> Callable[[], np.ndarray]:
    """Hand-written NumPy: the forward saves what backward needs, backward by hand."""

    def run() -> np.ndarray:
        x = X0
        masks = []
        for i in range(n_ops):
            if i % 2 == 0:
                x = x * C
            else:
                masks.append(x > 0)
                x = np.maximum(x, 0)
        float(x.sum())  # the loss, as the engines compute it
        g = np.ones_like(x)
        for i in reversed(range(n_ops)):
            if i % 2 == 0:
                g = g * C
            else:
                g = g * masks.pop()
        return g

    return run


def ours_chain(n_ops: int) -> Callable[[], np.ndarray]:
    c = tg.Tensor(C)

    def run() -> np.ndarray:
        x = tg.Tensor(X0, requires_grad=True)
        y = x
        for i in range(n_ops):
            y = y * c if i % 2 == 0 else y.relu()
        y.sum().backward()
        return x.grad.data

    return run


def torch_chain(torch: Any, n_ops: int) -> Callable[[], np.ndarray]:
    c = torch.from_numpy(C.copy())

    def run() -> np.ndarray:
        x = torch.tensor(X0, requires_grad=True)
        y = x
        for i in range(n_ops):
            y = y * c if i % 2 == 0 else y.relu()
        y.sum().backward()
        return x.grad.numpy()

    return run


def mygrad_chain(mygrad: Any, n_ops: int) -> Callable[[], np.ndarray]:
    from mygrad.nnet.activations import relu

    c = mygrad.tensor(C, constant=True)

    def run() -> np.ndarray:
        x = mygrad.tensor(X0)
        y = x
        for i in range(n_ops):
            y = y * c if i % 2 == 0 else relu(y)
        y.sum().backward()
        return np.asarray(x.grad)

    return run


def micrograd_chain(n_ops: int) -> Callable[[], np.ndarray]:
    """micrograd works on scalars: one (4,)-tensor op is 4 Value ops."""
    from micrograd.engine import Value

    constants = [Value(float(v)) for v in C]

    def run() -> np.ndarray:
        xs = [Value(float(v)) for v in X0]
        ys = xs
        for i in range(n_ops):
            if i % 2 == 0:
                ys = [y * c for y, c in zip(ys, constants)]
            else:
                ys = [y.relu() for y in ys]
        total = ys[0] + ys[1] + ys[2] + ys[3]
        # micrograd's topological sort is recursive: one frame per op of the chain
        limit = sys.getrecursionlimit()
        sys.setrecursionlimit(max(limit, 4 * n_ops + 1000))
        try:
            total.backward()
        finally:
            sys.setrecursionlimit(limit)
        return np.array([x.grad for x in xs], dtype=np.float32)

    return run


def check(name: str, grad: np.ndarray, n_ops: int) -> None:
    """Every implementation must compute the same gradient: the same work."""
    want = expected_grad(n_ops)
    # float32 rounding accumulates over the chain: ~n * 6e-8 relative at worst
    if not np.allclose(grad, want, rtol=1e-2):
        raise AssertionError(f"{name}: chain gradient {grad} != expected {want}")


def op_overhead(peers: Peers, quick: bool) -> tuple[list[Row], list[str]]:
    """Workload 1: µs per op, forward + backward, in a 1,000-op chain."""
    n_ops = 1000
    workload = "op overhead"
    case = f"{n_ops:,}-op chain, (4,) f32"
    fns: dict[str, Callable[[], np.ndarray]] = {
        "numpy (hand-written)": numpy_chain(n_ops),
        "tinygrad_edu": ours_chain(n_ops),
    }
    notes = [
        "op i: x * c (even i), relu(x) (odd i); then sum().backward(); per op: / 1,000",
        "numpy: forward saving relu masks, then an explicit backward loop (no graph)",
        (
            f"{floor.NAME} / {floor.ONE_OBJECT}: benchmarks/floor.py, yardsticks, not "
            "products: the least a Python engine with a node object per op can do (no "
            "checks, hooks or version counters), and one whose tensors are their own "
            "nodes with the ops written into backward"
        ),
    ]
    fns[floor.NAME] = floor.floor_chain(X0, C, n_ops)
    fns[floor.ONE_OBJECT] = floor.one_object_chain(X0, C, n_ops)
    if peers.torch is not None:
        fns["torch"] = torch_chain(peers.torch, n_ops)
    if peers.mygrad is not None:
        fns["mygrad"] = mygrad_chain(peers.mygrad, n_ops)
    if peers.micrograd is not None:
        fns["micrograd"] = micrograd_chain(n_ops)
    for name, fn in fns.items():
        check(name, fn(), n_ops)
    timings = interleaved(fns, repeats=5 if quick else 21, warmup=1 if quick else 3)
    rows = []
    for name, timing in timings.items():
        note = ""
        if name == "micrograd":
            per_value = timing.median / n_ops / 4 * 1e6
            note = f"4 scalar Values per op: {per_value:.2f} µs per Value op"
        rows.append(
            Row(
                workload,
                case,
                name,
                timing.median / n_ops * 1e6,
                timing.min / n_ops * 1e6,
                "µs/op",
                note=note,
            )
        )
    add_ratios(rows, "numpy (hand-written)", "x numpy")
    if peers.torch is not None:
        add_ratios(rows, "torch", "x torch")
    return rows, notes


def deep_chain(peers: Peers, quick: bool) -> tuple[list[Row], list[str]]:
    """Workload 2: a 100,000-op chain backpropagates; its time and peak memory."""
    n_ops = 100_000
    workload = "deep chain"
    time_case = f"{n_ops:,} ops fwd+bwd"
    fns: dict[str, Callable[[], np.ndarray]] = {
        "numpy (hand-written)": numpy_chain(n_ops),
        "tinygrad_edu": ours_chain(n_ops),
        floor.NAME: floor.floor_chain(X0, C, n_ops),
        floor.ONE_OBJECT: floor.one_object_chain(X0, C, n_ops),
    }
    if peers.torch is not None:
        fns["torch"] = torch_chain(peers.torch, n_ops)
    timings = interleaved(fns, repeats=1 if quick else 5, warmup=0)
    for name, timing in timings.items():
        check(name, timing.result, n_ops)  # also the proof that backward succeeds
    rows = [
        Row(
            workload,
            time_case,
            name,
            t.median,
            t.min if len(t.samples) > 1 else None,
            "s",
            note=f"{t.median / n_ops * 1e6:.2f} µs/op",
        )
        for name, t in timings.items()
    ]
    mem_case = "peak traced memory"
    for name in ("numpy (hand-written)", "tinygrad_edu"):
        peak, grad = traced_peak(fns[name])
        check(name, grad, n_ops)
        rows.append(
            Row(
                workload,
                mem_case,
                name,
                peak / n_ops,
                None,
                "B/op",
                note=f"{peak / 2**20:.1f} MiB in all",
            )
        )
    add_ratios(rows, "numpy (hand-written)", "x numpy")
    if peers.torch is not None:
        add_ratios(rows, "torch", "x torch")
    notes = [
        "the same chain as the op-overhead workload, 100x longer; gradients checked",
        (
            "memory: tracemalloc peak above the start (Python objects and NumPy "
            "buffers) during forward + backward; torch's allocator is not traced, so "
            "torch is timed only"
        ),
    ]
    if peers.micrograd is not None:
        notes.append(
            "micrograd skipped: its recursive topological sort needs one frame per op"
        )
    return rows, notes

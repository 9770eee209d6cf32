"""Memory: graphs are freed by reference counting alone, every step.

- 5,000 training steps (MLP, cross-entropy, SGD with momentum, DataLoader batches)
  keep memory flat: tracemalloc's current size after step 1,000 and after step
  5,000 differ by less than a few bytes per step, no Tensor or Context objects
  pile up, and with the cyclic garbage collector switched off the whole time,
  ``gc.collect()`` afterwards finds nothing (the graphs made no reference cycles).
- A 100,000-op chain backpropagates and, once the last reference is dropped, every
  intermediate tensor is gone at once (weak references dead, with gc off).
- Backward without ``retain_graph`` frees what the ops saved, while the output is
  still referenced.
- Higher-order gradients through ``tinygrad_edu.gradients`` / ``grad`` leave no
  cycles; ``backward(create_graph=True)`` makes one (leaf → .grad → graph → leaf),
  as in PyTorch, which the collector reclaims.
"""

from __future__ import annotations

import contextlib
import gc
import os
import tracemalloc
import weakref

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu import Context, Tensor, nn, optim
from tinygrad_edu.data import DataLoader
from tinygrad_edu.nn import functional as F


@contextlib.contextmanager
def gc_disabled():
    """No cyclic collection inside: whatever is freed, reference counting freed."""
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def count_graph_objects() -> tuple[int, int]:
    tensors = contexts = 0
    for obj in gc.get_objects():
        if isinstance(obj, Tensor):
            tensors += 1
        elif isinstance(obj, Context):
            contexts += 1
    return tensors, contexts


def rss_bytes() -> int | None:
    """Resident set size (Linux); None where /proc is not available."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


# ---- a long training run -------------------------------------------------------------------


def test_5000_training_steps_keep_memory_flat_and_make_no_cycles():
    tg.manual_seed(0)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((64, 4)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64) + (X[:, 1] > 0).astype(np.int64)  # 3 classes
    loader = DataLoader(X, y, batch_size=8, seed=0)
    model = nn.MLP([4, 16, 3])
    opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)

    def batches():
        while True:
            yield from loader

    stream = batches()

    def step() -> float:
        xb, yb = next(stream)
        opt.zero_grad()
        loss = F.cross_entropy(model(xb), yb)
        loss.backward()
        opt.step()
        return loss.item()

    first = [step() for _ in range(16)]  # warm-up: state arrays, work buffers, caches
    with gc_disabled():
        tracemalloc.start()
        try:
            for i in range(1, 5001):
                last = step()
                if i == 1000:
                    traced_1000 = tracemalloc.get_traced_memory()[0]
                    objects_1000 = count_graph_objects()
                    rss_1000 = rss_bytes()
            traced_5000 = tracemalloc.get_traced_memory()[0]
            objects_5000 = count_graph_objects()
            rss_5000 = rss_bytes()
        finally:
            tracemalloc.stop()
        garbage = gc.collect()

    assert traced_5000 - traced_1000 < 64 * 1024, (
        f"memory grew by {traced_5000 - traced_1000} bytes over 4,000 steps"
    )
    assert objects_5000 == objects_1000, f"(tensors, contexts): {objects_1000} -> {objects_5000}"
    assert garbage == 0, f"the graphs left {garbage} objects in reference cycles"
    if rss_1000 is not None:
        assert rss_5000 - rss_1000 < 8 * 2**20, (
            f"RSS grew by {(rss_5000 - rss_1000) / 2**20:.1f} MiB"
        )
    assert last < np.mean(first)  # it did train


def test_evaluation_under_no_grad_records_nothing():
    model = nn.MLP([4, 8, 3])
    x = tg.randn(5, 4)
    with tg.no_grad(), gc_disabled():
        before = count_graph_objects()
        for _ in range(200):
            out = model(x).softmax()
        assert out.grad_fn is None and not out.requires_grad
        del out
        after = count_graph_objects()
        assert gc.collect() == 0
    assert after == before


# ---- a very long chain -------------------------------------------------------------------


def test_100000_op_chain_is_freed_after_backward_and_del():
    n = 100_000
    with gc_disabled():
        Tensor(np.ones(4)) * 1.0 + 0.5  # the engine caches number constants: make them
        baseline = count_graph_objects()
        x = Tensor(np.ones(4), requires_grad=True)
        y = x
        probes = []
        for i in range(n):
            y = y * 1.0 if i % 2 else y + 0.5
            if i % 1000 == 500:
                probes.append(weakref.ref(y))
        y.sum().backward()
        assert np.array_equal(x.grad.data, np.ones(4))  # (not np.testing: it makes cycles)
        assert all(p() is not None for p in probes)  # y keeps its graph (viz can draw it)
        del y
        alive = sum(p() is not None for p in probes)
        assert alive == 0, f"{alive} intermediate tensors outlived the chain"
        x_grad = x.grad
        del x
        assert count_graph_objects() == (baseline[0] + 1, baseline[1])  # x_grad only
        assert gc.collect() == 0
    del x_grad


def test_backward_frees_saved_values_while_the_output_lives():
    x = Tensor(np.linspace(-1, 1, 8), requires_grad=True)
    y = tg.relu(x) * tg.abs(x)
    saved = [weakref.ref(a) for op in (y.grad_fn.inputs[0], y.grad_fn.inputs[1])
             for a in op.grad_fn.saved_tensors]
    assert saved and all(r() is not None for r in saved)
    y.sum().backward()
    assert all(r() is None for r in saved), "saved arrays outlived backward"
    assert y.grad_fn is not None  # the graph's structure stays for viz


def test_retain_graph_keeps_saved_values_for_a_second_backward():
    x = Tensor(np.linspace(-1, 1, 8), requires_grad=True)
    y = tg.relu(x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_array_equal(x.grad.data, 2.0 * (x.data > 0))


# ---- higher order ------------------------------------------------------------------------


def test_hessian_vector_products_through_gradients_leave_no_cycles():
    w = Tensor(np.linspace(-1, 1, 6), requires_grad=True)
    v = np.linspace(1, 2, 6)
    tg.gradients((w ** 3).sum(), [w], create_graph=True)  # caches its number constants
    with gc_disabled():
        before = count_graph_objects()
        for _ in range(200):
            (g,) = tg.gradients((w ** 3).sum(), [w], create_graph=True)
            (hv,) = tg.gradients((g * v).sum(), [w])
        hv_data = hv.data
        del g, hv
        after = count_graph_objects()
        garbage = gc.collect()
    np.testing.assert_allclose(hv_data, 6 * w.data * v)  # (np.testing makes cycles itself)
    assert garbage == 0
    assert after == before


def test_grad_of_grad_leaves_no_cycles():
    d2 = tg.grad(lambda t: tg.grad(lambda s: (s ** 3).sum())(t).sum())
    with gc_disabled():
        for _ in range(100):
            h = d2(Tensor(np.array([1.0, 2.0])))
        h_data = h.data
        del h
        garbage = gc.collect()
    np.testing.assert_allclose(h_data, [6.0, 12.0])
    assert garbage == 0


def test_backward_with_create_graph_makes_a_cycle_that_gc_reclaims():
    """As in PyTorch: x.grad holds the graph of the backward pass, which holds x.
    Prefer ``tg.gradients(..., create_graph=True)`` in loops: it makes no cycle."""
    with gc_disabled():
        x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
        (x ** 3).sum().backward(create_graph=True)
        assert x.grad.grad_fn is not None
        probe = weakref.ref(x)
        del x
        assert probe() is not None  # held by its own gradient's graph
        gc.collect()
        assert probe() is None

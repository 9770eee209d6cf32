"""Workloads 6 and 7: what fit() and the optimizers add on top of the training steps.

6. One epoch of ``train.fit`` (DataLoader shuffling into batches of 128, the loop,
   the per-batch loss record) over MNIST-sized data (60,000 × 784 float32; 6,000 with
   ``--quick``) with the MLP of workload 3, against the very same steps run by a bare
   ``for`` loop over contiguous slices of pre-made arrays (no loader, no shuffling,
   no bookkeeping). The difference is the loader + loop overhead; issue 4's target is
   under 5% of the epoch.
7. ``optimizer.step()`` on the MLP's parameters (gradients already there), in ns per
   parameter element, against the same update hand-written in NumPy in place
   (SGD momentum: ``v ← μv − lr·g; θ ← θ + v``; Adam: the two moment updates, bias
   correction and ``θ ← θ − lr·m̂/(√v̂ + ε)``), and the bytes the step allocates
   (traced): a step that allocates nothing new per step stays at the scratch size.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

import tinygrad_edu as tg
from benchmarks.common import Peers, Row, add_ratios, interleaved, traced_peak
from benchmarks.mlp import LR, MOMENTUM, SIZES, init_params
from tinygrad_edu import nn, optim
from tinygrad_edu.data import DataLoader
from tinygrad_edu.nn import functional as F
from tinygrad_edu.train import fit

BATCH = 128
BARE = "bare loop (same steps)"


def _model() -> nn.MLP:
    model = nn.MLP(list(SIZES))
    for p, value in zip(model.parameters(), init_params(SIZES)):
        p.data[...] = value
    return model


# ---- workload 6: fit() overhead ------------------------------------------------


def fit_epoch(peers: Peers, quick: bool) -> tuple[list[Row], list[str]]:
    n = 6_000 if quick else 60_000
    rng = np.random.default_rng(0)
    X = rng.random((n, SIZES[0]), dtype=np.float32)
    y = rng.integers(0, SIZES[-1], n)
    model = _model()
    opt = optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)

    def bare() -> None:  # contiguous slices of X, no loader, no bookkeeping
        for start in range(0, n, BATCH):
            xb, yb = tg.Tensor(X[start : start + BATCH]), y[start : start + BATCH]
            opt.zero_grad()
            F.cross_entropy(model(xb), yb).backward()
            opt.step()

    rows: list[Row] = []
    for shuffle in (True, False):
        # made once, as in use (its constructor checks X for NaN: a pass over the data)
        loader = DataLoader(X, y, batch_size=BATCH, shuffle=shuffle, seed=0)

        def with_fit() -> None:
            fit(model, F.cross_entropy, opt, loader, epochs=1, progress=False)

        timings = interleaved(
            {"tinygrad_edu": with_fit, BARE: bare}, repeats=3 if quick else 7
        )
        order = "shuffled" if shuffle else "in order"
        case = f"one epoch, {n:,} x 784, batch {BATCH}, {order}"
        rows += [
            Row("fit() epoch", case, name, t.median, t.min, "s")
            for name, t in timings.items()
        ]
        fit_time, bare_time = timings["tinygrad_edu"], timings[BARE]
        rows.append(
            Row("fit() epoch", f"loader + loop overhead, {order}", "tinygrad_edu",
                100 * (1 - bare_time.median / fit_time.median),
                100 * (1 - bare_time.min / fit_time.min), "% of epoch")
        )
    add_ratios(rows, BARE, "x bare loop")
    notes = [
        "both run the same model, loss and SGD(momentum 0.9) steps; fit() adds the "
        "DataLoader, the loop and the per-batch loss record; shuffled, each batch is "
        "gathered from random rows (fancy indexing), in order it is a view",
    ]
    return rows, notes


# ---- workload 7: optimizer step -------------------------------------------------


class _NumpySGD:
    """v ← μv − lr·g;  θ ← θ + v, in place (``lr·g`` into one scratch array)."""

    def __init__(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        self.params, self.grads = params, grads
        self.velocity = [np.zeros_like(p) for p in params]
        self.scratch = np.empty(max(p.size for p in params), np.float32)

    def step(self) -> None:
        for p, g, v in zip(self.params, self.grads, self.velocity):
            step = self.scratch[: p.size].reshape(p.shape)
            np.multiply(g, LR, out=step)
            v *= MOMENTUM
            v -= step
            p += v


class _NumpyAdam:
    """m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;  θ ← θ − lr·m̂/(√v̂ + ε), in place."""

    def __init__(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        self.params, self.grads = params, grads
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.scratch = np.empty(max(p.size for p in params), np.float32)
        self.t = 0

    def step(self, lr: float = 1e-3, b1: float = 0.9, b2: float = 0.999) -> None:
        self.t += 1
        c1, c2 = 1 - b1**self.t, 1 - b2**self.t
        for p, g, m, v in zip(self.params, self.grads, self.m, self.v):
            s = self.scratch[: p.size].reshape(p.shape)
            m *= b1
            np.multiply(g, 1 - b1, out=s)
            m += s
            v *= b2
            np.multiply(g, g, out=s)
            s *= 1 - b2
            v += s
            np.sqrt(v, out=s)
            s *= 1 / np.sqrt(c2)
            s += 1e-8
            np.divide(m, s, out=s)
            s *= lr / c1
            p -= s


def optimizer_step(peers: Peers, quick: bool) -> tuple[list[Row], list[str]]:
    rows: list[Row] = []
    rng = np.random.default_rng(0)
    grads = [rng.standard_normal(p.shape).astype(np.float32) for p in init_params(SIZES)]
    n_elements = sum(g.size for g in grads)
    cases: dict[str, tuple[Callable, type]] = {
        "SGD momentum 0.9": (lambda ps: optim.SGD(ps, lr=LR, momentum=MOMENTUM), _NumpySGD),
        "Adam": (lambda ps: optim.Adam(ps, lr=1e-3), _NumpyAdam),
    }
    for case, (make_ours, numpy_class) in cases.items():
        model = _model()
        params = list(model.parameters())
        for p, g in zip(params, grads):
            p.grad = tg.Tensor(g.copy())
        ours = make_ours(params)
        by_hand = numpy_class([p.copy() for p in init_params(SIZES)], grads)
        ours.step()  # state buffers exist, as in steady state
        by_hand.step()
        timings = interleaved(
            {"tinygrad_edu": ours.step, "numpy (hand-written)": by_hand.step},
            repeats=5 if quick else 25, number=1 if quick else 5,
        )
        for name, t in timings.items():
            rows.append(Row("optimizer step", case, name, t.median / n_elements * 1e9,
                            t.min / n_elements * 1e9, "ns/element"))
        peak, _ = traced_peak(ours.step)
        rows.append(Row("optimizer step", f"{case}: bytes allocated per step",
                        "tinygrad_edu", peak / n_elements, None, "B/element"))
    add_ratios(rows, "numpy (hand-written)", "x numpy")
    notes = [
        f"the {n_elements:,} parameters of the 784-256-128-10 MLP, float32, gradients "
        "fixed; NumPy's update is in place with one scratch array",
        "bytes allocated: the traced peak during one step, per parameter element "
        "(0 = no new arrays per step)",
    ]
    return rows, notes

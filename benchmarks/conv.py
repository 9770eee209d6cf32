"""Workload 8: convolutional nets (issue 16), against PyTorch's CPU kernels.

1. ``conv2d`` forward + backward on a (32, 3, 32, 32) float32 batch with 16 3×3
   filters (padding 1, bias): the issue's target is ≤ 1.5× PyTorch in the same run.
2. A LeNet-5 training step (1×28×28 → conv 6@5×5 pad 2 → ReLU → max-pool 2 →
   conv 16@5×5 → ReLU → max-pool 2 → 120 → 84 → 10, cross-entropy, SGD momentum
   0.9), batch 64, reported beside PyTorch's.

Before timing, tinygrad_edu's values are checked against PyTorch's on the same
weights and data (outputs, loss and every gradient); torch is optional (without
it only tinygrad_edu's rows are timed). Run alone: ``python -m benchmarks.conv``,
or as part of ``python -m benchmarks --only conv``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import tinygrad_edu as tg  # noqa: E402
from benchmarks.common import Peers, Row, add_ratios, interleaved  # noqa: E402
from tinygrad_edu import nn, optim  # noqa: E402
from tinygrad_edu.nn import functional as F  # noqa: E402

WORKLOAD = "conv nets"
CONV_CASE = "conv2d fwd+bwd (32,3,32,32), 16 3x3"
LENET_CASE = "LeNet-5 training step, batch 64"
LR, MOMENTUM = 0.01, 0.9
RTOL = 1e-4  # of the largest magnitude: float32 sums of up to 32,768 terms


def _check(name: str, ours: np.ndarray, theirs: np.ndarray) -> float:
    """The largest difference; raises if the values disagree beyond float32 noise."""
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    scale = max(1.0, float(np.max(np.abs(theirs))))
    diff = (
        float(np.max(np.abs(ours - theirs))) if ours.shape == theirs.shape else np.inf
    )
    if not diff <= RTOL * scale:
        raise AssertionError(
            f"conv benchmark: {name} differs from PyTorch's (shapes {ours.shape}, "
            f"{theirs.shape}; max |diff| {diff:.3g}, largest value {scale:.3g})"
        )
    return diff / scale


# ---- 1. one convolution ---------------------------------------------------------


def conv_impls(torch: Any) -> tuple[dict[str, Callable[[], Any]], float | None]:
    """The timed callables, and the largest difference from PyTorch (or None)."""
    rng = np.random.default_rng(0)
    x0 = rng.standard_normal((32, 3, 32, 32)).astype(np.float32)
    w0 = (rng.standard_normal((16, 3, 3, 3)) * 0.2).astype(np.float32)
    b0 = rng.standard_normal(16).astype(np.float32)
    g0 = rng.standard_normal((32, 16, 32, 32)).astype(np.float32)
    x, w, b = (tg.Tensor(a, requires_grad=True) for a in (x0, w0, b0))

    def ours() -> tuple:
        x.grad = w.grad = b.grad = None
        out = tg.conv2d(x, w, b, padding=1)
        out.backward(g0)
        return out.data, x.grad.data, w.grad.data, b.grad.data

    fns: dict[str, Callable[[], Any]] = {"tinygrad_edu": ours}
    if torch is None:
        return fns, None
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x0, w0, b0))
    gt = torch.tensor(g0)

    def theirs() -> tuple:
        xt.grad = wt.grad = bt.grad = None
        out = torch.nn.functional.conv2d(xt, wt, bt, padding=1)
        out.backward(gt)
        return out, xt.grad, wt.grad, bt.grad

    ref = [t.detach().numpy() for t in theirs()]
    diffs = [
        _check(n, a, r)
        for n, a, r in zip(("out", "x.grad", "w.grad", "b.grad"), ours(), ref)
    ]
    fns["torch"] = theirs
    return fns, max(diffs)


# ---- 2. LeNet-5 ------------------------------------------------------------------


def lenet() -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, 10),
    )  # fmt: skip


def torch_lenet(torch: Any, state: dict[str, np.ndarray]) -> Any:
    tnn = torch.nn
    model = tnn.Sequential(
        tnn.Conv2d(1, 6, 5, padding=2), tnn.ReLU(), tnn.MaxPool2d(2),
        tnn.Conv2d(6, 16, 5), tnn.ReLU(), tnn.MaxPool2d(2), tnn.Flatten(),
        tnn.Linear(16 * 5 * 5, 120), tnn.ReLU(), tnn.Linear(120, 84), tnn.ReLU(),
        tnn.Linear(84, 10),
    )  # fmt: skip
    model.load_state_dict({k: torch.tensor(v) for k, v in state.items()})
    return model


def lenet_impls(torch: Any) -> tuple[dict[str, Callable[[], Any]], float | None]:
    rng = np.random.default_rng(1)
    x0 = rng.random((64, 1, 28, 28), dtype=np.float32)
    y0 = rng.integers(0, 10, 64)
    tg.manual_seed(0)
    model = lenet()
    state = model.state_dict()
    opt = optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    x, y = tg.Tensor(x0), tg.Tensor(y0)

    def ours() -> float:
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()

    fns: dict[str, Callable[[], Any]] = {"tinygrad_edu": ours}
    if torch is None:
        return fns, None
    tmodel = torch_lenet(torch, state)
    topt = torch.optim.SGD(tmodel.parameters(), lr=LR, momentum=MOMENTUM)
    xt, yt = torch.tensor(x0), torch.tensor(y0)

    def theirs() -> float:
        topt.zero_grad()
        loss = torch.nn.functional.cross_entropy(tmodel(xt), yt)
        loss.backward()
        topt.step()
        return loss.item()

    # two steps each from the same weights: the losses, then every gradient and weight
    diffs = []
    for step in range(2):
        diffs.append(_check(f"loss at step {step}", ours(), theirs()))
    ours_grads = dict(model.named_parameters())
    for name, p in tmodel.named_parameters():
        diffs.append(_check(f"{name}.grad", ours_grads[name].grad.data, p.grad.numpy()))
        diffs.append(_check(name, ours_grads[name].data, p.detach().numpy()))
    fns["torch"] = theirs
    return fns, max(diffs)


# ---- the workload ----------------------------------------------------------------


def conv_nets(peers: Peers, quick: bool) -> tuple[list[Row], list[str]]:
    rows: list[Row] = []
    notes = []
    for case, build, number in (
        (CONV_CASE, conv_impls, 5),
        (LENET_CASE, lenet_impls, 3),
    ):
        fns, diff = build(peers.torch)
        if diff is not None:
            notes.append(
                f"{case}: values match PyTorch's (max |diff| / max |value| {diff:.2g})"
            )
        timings = interleaved(
            fns,
            repeats=3 if quick else 20,
            number=1 if quick else number,
            warmup=1 if quick else 2,
        )
        for name, t in timings.items():
            rows.append(Row(WORKLOAD, case, name, t.median * 1e3, t.min * 1e3, "ms"))
    if peers.torch is not None:
        add_ratios(rows, "torch", "x torch")
    notes.append(
        "float32; conv2d: padding 1 with bias, backward with a fixed random cotangent; "
        "LeNet-5: zero_grad + forward + cross-entropy + backward + SGD(0.01, 0.9)"
    )
    return rows, notes


def main() -> int:
    from benchmarks.common import blas_info, print_table

    _, threads = blas_info()
    peers = Peers.load(threads)
    for note in peers.notes:
        print(f"note: {note}")
    rows, notes = conv_nets(peers, quick="--quick" in sys.argv)
    print_table("8. conv nets: conv2d and a LeNet-5 step against PyTorch", rows, notes)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

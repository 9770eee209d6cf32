"""Workloads 3 and 5: an MNIST-sized MLP training step, its time and its memory.

784-256-128-10, ReLU, softmax cross-entropy (mean), SGD with momentum 0.9 and
lr 0.01, float32, on one fixed random batch. Every implementation starts from the
same weights, and its gradients are checked against the hand-written NumPy step's
once, before timing, so that every row does the same work.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import tinygrad_edu as tg
from benchmarks.common import (
    Peers,
    Row,
    add_ratios,
    interleaved,
    rss_bytes,
    traced_peak,
)

SIZES = (784, 256, 128, 10)
LR = 0.01
MOMENTUM = 0.9
NUMPY = "numpy (hand-written)"


# ---- which tinygrad_edu API is available ---------------------------------------------


def _nn() -> Any:
    """``(nn, nn.functional)``, or None while tinygrad_edu.nn cannot be imported."""
    try:
        from tinygrad_edu import nn
        from tinygrad_edu.nn import functional
    except ImportError:
        return None
    needed = [(nn, "MLP"), (functional, "cross_entropy"), (functional, "hinge_loss")]
    needed.append((functional, "l2_penalty"))
    if not all(hasattr(module, name) for module, name in needed):
        return None
    return nn, functional


def _optim() -> Any:
    """``tinygrad_edu.optim``, or None while its SGD is not there yet."""
    try:
        from tinygrad_edu import optim
    except ImportError:
        return None
    return optim if hasattr(optim, "SGD") else None


def ours_paths() -> dict[str, str]:
    """Which code path the tinygrad_edu rows ran, for the report."""
    if _nn():
        model = "tinygrad_edu.nn (nn.MLP, F.cross_entropy, F.hinge_loss, F.l2_penalty)"
    else:
        model = (
            "engine ops (tg.linear, relu, log_softmax, indexing): "
            "tinygrad_edu.nn is not importable"
        )
    if _optim():
        optimizer = "tinygrad_edu.optim.SGD"
    else:
        optimizer = (
            "the benchmark's in-place SGD on .data: "
            "tinygrad_edu.optim.SGD is not available"
        )
    return {"model path": model, "optimizer path": optimizer}


class FallbackSGD:
    """Momentum SGD in place on the arrays, used while tinygrad_edu.optim is absent:
    ``v <- momentum * v - lr * g;  p <- p + v`` (the contract's velocity form)."""

    def __init__(
        self, params: list[tg.Tensor], lr: float, momentum: float = 0.0
    ) -> None:
        self.params = list(params)
        self.lr = lr
        self.momentum = momentum
        self.velocity = [np.zeros_like(p.data) for p in self.params]

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        for p, v in zip(self.params, self.velocity):
            if p.grad is None:
                continue
            v *= self.momentum
            v -= self.lr * p.grad.data
            p.data += v


def make_sgd(params: list[tg.Tensor], lr: float, momentum: float = 0.0) -> Any:
    optim = _optim()
    if optim is not None:
        return optim.SGD(params, lr=lr, momentum=momentum)
    return FallbackSGD(params, lr, momentum)


# ---- data and initial weights ----------------------------------------------------


def init_params(sizes: tuple[int, ...], seed: int = 0) -> list[np.ndarray]:
    """[W1, b1, W2, b2, ...] in float32, PyTorch's default U(±1/√fan_in)."""
    rng = np.random.default_rng(seed)
    params = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        bound = 1.0 / np.sqrt(n_in)
        params.append(rng.uniform(-bound, bound, (n_out, n_in)).astype(np.float32))
        params.append(rng.uniform(-bound, bound, n_out).astype(np.float32))
    return params


def make_batch(batch: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """MNIST-shaped data: pixels in [0, 1) as float32, labels 0..9 as int64."""
    rng = np.random.default_rng(seed)
    x = rng.random((batch, SIZES[0]), dtype=np.float32)
    y = rng.integers(0, SIZES[-1], batch)
    return x, y


# ---- the implementations: each has gradients() (no update) and step() ----------


class NumpyMLP:
    """The same step written by hand: forward, explicit backprop, in-place update."""

    name = NUMPY

    def __init__(self, params: list[np.ndarray], x: np.ndarray, y: np.ndarray) -> None:
        self.params = [p.copy() for p in params]
        self.velocity = [np.zeros_like(p) for p in self.params]
        self.x, self.y = x, y
        self.rows = np.arange(len(y))

    def gradients(self) -> list[np.ndarray]:
        w1, b1, w2, b2, w3, b3 = self.params
        x, y, rows, n = self.x, self.y, self.rows, len(self.y)
        # forward: z = a Wᵀ + b, a = relu(z)
        z1 = x @ w1.T
        z1 += b1
        a1 = np.maximum(z1, 0)
        z2 = a1 @ w2.T
        z2 += b2
        a2 = np.maximum(z2, 0)
        logits = a2 @ w3.T
        logits += b3
        # softmax cross-entropy, shifted by the row max
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        total = e.sum(axis=1, keepdims=True)
        self.loss = float(np.mean(np.log(total[:, 0]) - np.log(e[rows, y])))
        # backward: δ3 = (softmax − one_hot) / n,  δl = δ(l+1) W(l+1) ⊙ [z_l > 0]
        d3 = e / total
        d3[rows, y] -= 1
        d3 *= 1.0 / n
        d2 = d3 @ w3
        d2 *= z2 > 0
        d1 = d2 @ w2
        d1 *= z1 > 0
        return [
            d1.T @ x, d1.sum(axis=0),
            d2.T @ a1, d2.sum(axis=0),
            d3.T @ a2, d3.sum(axis=0),
        ]  # fmt: skip

    def step(self) -> None:
        for p, v, g in zip(self.params, self.velocity, self.gradients()):
            g *= LR
            v *= MOMENTUM
            v -= g
            p += v


class OursMLP:
    """tinygrad_edu: nn.MLP + F.cross_entropy + optim.SGD (or engine ops, see paths)."""

    name = "tinygrad_edu"

    def __init__(self, params: list[np.ndarray], x: np.ndarray, y: np.ndarray) -> None:
        modules = _nn()
        self.x, self.y = tg.Tensor(x), y
        if modules is not None:
            nn, self.F = modules
            self.model = nn.MLP(list(SIZES))
            self.params = list(self.model.parameters())
            for p, value in zip(self.params, params):
                p.data[...] = value
            self.forward = self._forward_nn
        else:
            self.params = [tg.Tensor(p.copy(), requires_grad=True) for p in params]
            self.rows = np.arange(len(y))
            self.forward = self._forward_ops
        self.optimizer = make_sgd(self.params, LR, MOMENTUM)

    def _forward_nn(self) -> tg.Tensor:
        return self.F.cross_entropy(self.model(self.x), self.y)

    def _forward_ops(self) -> tg.Tensor:
        w1, b1, w2, b2, w3, b3 = self.params
        h = tg.ops.linear(self.x, w1, b1).relu()
        h = tg.ops.linear(h, w2, b2).relu()
        logits = tg.ops.linear(h, w3, b3)
        return -logits.log_softmax(axis=-1)[self.rows, self.y].mean()

    def gradients(self) -> list[np.ndarray]:
        self.optimizer.zero_grad()
        self.loss = self.forward()
        self.loss.backward()
        return [p.grad.data for p in self.params]

    def step(self) -> None:
        self.optimizer.zero_grad()
        self.forward().backward()
        self.optimizer.step()


class TorchMLP:
    """PyTorch eager CPU: nn.Sequential, F.cross_entropy, optim.SGD(momentum=0.9)."""

    name = "torch"

    def __init__(
        self, torch: Any, params: list[np.ndarray], x: np.ndarray, y: np.ndarray
    ) -> None:
        self.torch = torch
        layers = []
        for n_in, n_out in zip(SIZES[:-1], SIZES[1:]):
            layers += [torch.nn.Linear(n_in, n_out), torch.nn.ReLU()]
        self.model = torch.nn.Sequential(*layers[:-1])
        self.params = list(self.model.parameters())
        with torch.no_grad():
            for p, value in zip(self.params, params):
                p.copy_(torch.from_numpy(value))
        self.x, self.y = torch.from_numpy(x), torch.from_numpy(y)
        self.optimizer = torch.optim.SGD(self.params, lr=LR, momentum=MOMENTUM)

    def gradients(self) -> list[np.ndarray]:
        self.optimizer.zero_grad(set_to_none=True)
        loss = self.torch.nn.functional.cross_entropy(self.model(self.x), self.y)
        loss.backward()
        return [p.grad.numpy() for p in self.params]

    def step(self) -> None:
        self.optimizer.zero_grad(set_to_none=True)
        self.torch.nn.functional.cross_entropy(self.model(self.x), self.y).backward()
        self.optimizer.step()


class MygradMLP:
    """MyGrad: the forward from its ops, the same in-place momentum update on .data."""

    name = "mygrad"

    def __init__(
        self, mygrad: Any, params: list[np.ndarray], x: np.ndarray, y: np.ndarray
    ) -> None:
        from mygrad.nnet.activations import relu
        from mygrad.nnet.losses import softmax_crossentropy

        self.mg, self.relu, self.loss_fn = mygrad, relu, softmax_crossentropy
        self.params = [mygrad.tensor(p.copy()) for p in params]
        self.velocity = [np.zeros_like(p) for p in params]
        self.x, self.y = x, y

    def _loss(self) -> Any:
        mg, relu = self.mg, self.relu
        w1, b1, w2, b2, w3, b3 = self.params
        h = relu(mg.matmul(self.x, w1.T) + b1)
        h = relu(mg.matmul(h, w2.T) + b2)
        return self.loss_fn(mg.matmul(h, w3.T) + b3, self.y)

    def gradients(self) -> list[np.ndarray]:
        self._loss().backward()
        return [np.asarray(p.grad) for p in self.params]

    def step(self) -> None:
        self._loss().backward()
        for p, v in zip(self.params, self.velocity):
            v *= MOMENTUM
            v -= LR * p.grad
            p.data += v


def build(peers: Peers, batch: int, verify: bool = True) -> dict[str, Any]:
    """Every available implementation at this batch size, from the same weights,
    with their gradients checked against the hand-written NumPy step's."""
    params = init_params(SIZES)
    x, y = make_batch(batch)
    impls: dict[str, Any] = {
        NUMPY: NumpyMLP(params, x, y),
        "tinygrad_edu": OursMLP(params, x, y),
    }
    if peers.torch is not None:
        impls["torch"] = TorchMLP(peers.torch, params, x, y)
    if peers.mygrad is not None:
        impls["mygrad"] = MygradMLP(peers.mygrad, params, x, y)
    if verify:
        reference = impls[NUMPY].gradients()
        for name, impl in impls.items():
            check_gradients(name, impl.gradients(), reference)
    return impls


def check_gradients(
    name: str, grads: list[np.ndarray], reference: list[np.ndarray]
) -> None:
    names = ["W1", "b1", "W2", "b2", "W3", "b3"]
    for label, g, ref in zip(names, grads, reference):
        if name == "tinygrad_edu" and g.dtype != np.float32:
            raise AssertionError(
                f"tinygrad_edu: grad of {label} is {g.dtype}, not float32"
            )
        scale = float(np.abs(ref).max()) or 1.0
        if g.shape != ref.shape or not np.allclose(
            g, ref, rtol=1e-3, atol=1e-4 * scale
        ):
            worst = float(np.abs(np.asarray(g, dtype=np.float64) - ref).max())
            raise AssertionError(
                f"{name}: gradient of {label} differs from the hand-written NumPy "
                f"step's (max abs difference {worst:.3g}, scale {scale:.3g})"
            )


# ---- workload 3: the training step ---------------------------------------------------


def training_step(peers: Peers, quick: bool) -> tuple[list[Row], list[str]]:
    rows: list[Row] = []
    plan = {32: 20, 128: 10, 1024: 2}  # batch: steps per timed sample
    for batch, number in plan.items():
        impls = build(peers, batch)
        fns: dict[str, Callable[[], None]] = {
            name: impl.step for name, impl in impls.items()
        }
        timings = interleaved(
            fns,
            repeats=3 if quick else 15,
            number=1 if quick else number,
            warmup=1 if quick else 3,
        )
        for name, t in timings.items():
            rows.append(
                Row(
                    "MLP training step",
                    f"batch {batch}",
                    name,
                    t.median * 1e3,
                    t.min * 1e3,
                    "ms",
                )
            )
    add_ratios(rows, NUMPY, "x numpy")
    if peers.torch is not None:
        add_ratios(rows, "torch", "x torch")
    notes = [
        (
            "784-256-128-10 ReLU, softmax cross-entropy (mean), SGD momentum 0.9, "
            "lr 0.01, float32; one step = zero_grad + forward + backward + update"
        ),
        (
            "gradients of every implementation checked against the NumPy step's on "
            "the same weights before timing (and tinygrad_edu's are float32)"
        ),
        (
            "numpy: z = a Wᵀ + b (bias added in place), δ = (softmax − one_hot)/n, "
            "δ ⊙ [z > 0], momentum update in place"
        ),
    ]
    return rows, notes


# ---- workload 5: memory --------------------------------------------------------


def memory(peers: Peers, quick: bool) -> tuple[list[Row], list[str]]:
    batch = 128
    impls = build(peers, batch, verify=False)
    rows: list[Row] = []
    case = f"peak of one batch-{batch} step"
    for name in (NUMPY, "tinygrad_edu", "mygrad"):
        if name not in impls:
            continue
        impl = impls[name]
        impl.step()  # warm: momentum buffers exist, as in steady state
        peak, _ = traced_peak(impl.step)
        rows.append(Row("memory", case, name, peak / 2**20, None, "MiB"))
    add_ratios(rows, NUMPY, "x numpy")

    n_steps = 300 if quick else 5000
    ours = impls["tinygrad_edu"]
    warmup = 50
    for _ in range(warmup):
        ours.step()
    after_warmup = rss_bytes() / 2**20
    checkpoints = []
    for i in range(1, n_steps + 1):
        ours.step()
        if i % (n_steps // 5) == 0:
            checkpoints.append(rss_bytes() / 2**20)
    rows.append(
        Row(
            "memory",
            f"RSS over {n_steps:,} steps",
            "tinygrad_edu",
            checkpoints[-1] - checkpoints[0],
            None,
            "MiB growth",
            note=f"VmRSS (MiB) after warm-up {after_warmup:.1f}, then at each fifth: "
            + ", ".join(f"{c:.1f}" for c in checkpoints),
        )
    )
    notes = [
        (
            "peak: tracemalloc peak above the start of a steady-state step (Python "
            "objects and NumPy buffers); torch's allocator is not traced"
        ),
        (
            f"RSS: VmRSS from /proc/self/status after {warmup} warm-up steps, then at "
            f"every fifth of {n_steps:,} batch-{batch} steps; growth = last − first"
        ),
    ]
    return rows, notes

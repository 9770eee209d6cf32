"""Workload 4: a scalar-scale network, where per-op overhead is everything.

micrograd's demo: an MLP 2-16-16-1 (ReLU) on 100 "moons" points, the SVM hinge
loss mean(relu(1 − y·score)) plus 1e-4·Σp² over every parameter, and plain SGD
with lr = 1 − 0.9·k/100 at step k, for 20 steps. Each timed run resets the weights to
the same initial values (micrograd's U(-1, 1) weights, zero biases) and trains 20
steps. A second case times one step at batch 32 (issue 2's small-network target).
NumPy, tinygrad_edu and torch run in float32; micrograd in Python floats.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import tinygrad_edu as tg
from benchmarks.common import Peers, Row, Timing, add_ratios, interleaved
from benchmarks.mlp import NUMPY, _nn, make_sgd

SIZES = (2, 16, 16, 1)
ALPHA = 1e-4
STEPS = 20


def make_moons(
    n: int = 100, noise: float = 0.1, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (like scikit-learn's make_moons), labels ±1."""
    rng = np.random.default_rng(seed)
    n_outer = n // 2
    n_inner = n - n_outer
    t_outer = np.linspace(0, np.pi, n_outer)
    t_inner = np.linspace(0, np.pi, n_inner)
    outer = np.stack([np.cos(t_outer), np.sin(t_outer)], axis=1)
    inner = np.stack([1 - np.cos(t_inner), 0.5 - np.sin(t_inner)], axis=1)
    x = np.concatenate([outer, inner]) + rng.normal(scale=noise, size=(n, 2))
    y = np.concatenate([-np.ones(n_outer), np.ones(n_inner)])
    order = rng.permutation(n)
    return x[order].astype(np.float32), y[order].astype(np.float32)


def init_params(seed: int = 0) -> list[np.ndarray]:
    """micrograd's init: weights U(-1, 1), biases 0; as [W1, b1, W2, b2, W3, b3]."""
    rng = np.random.default_rng(seed)
    params = []
    for n_in, n_out in zip(SIZES[:-1], SIZES[1:]):
        params.append(rng.uniform(-1, 1, (n_out, n_in)).astype(np.float32))
        params.append(np.zeros(n_out, dtype=np.float32))
    return params


def learning_rate(k: int) -> float:
    return 1.0 - 0.9 * k / 100


# ---- implementations: reset() then step(lr) -> loss --------------------------------


class NumpyNet:
    name = NUMPY

    def __init__(self, params: list[np.ndarray], x: np.ndarray, y: np.ndarray) -> None:
        self.initial = params
        self.params = [p.copy() for p in params]
        self.x, self.y = x, y

    def reset(self) -> None:
        for p, value in zip(self.params, self.initial):
            p[...] = value

    def step(self, lr: float) -> float:
        w1, b1, w2, b2, w3, b3 = self.params
        x, y, n = self.x, self.y, len(self.y)
        z1 = x @ w1.T
        z1 += b1
        a1 = np.maximum(z1, 0)
        z2 = a1 @ w2.T
        z2 += b2
        a2 = np.maximum(z2, 0)
        score = (a2 @ w3.T)[:, 0] + b3
        margin = 1 - y * score
        loss = float(np.maximum(margin, 0).mean())
        loss += ALPHA * sum(float((p * p).sum()) for p in self.params)
        # backward
        d3 = (-y * (margin > 0) * (1.0 / n))[:, None]
        d2 = d3 @ w3
        d2 *= z2 > 0
        d1 = d2 @ w2
        d1 *= z1 > 0
        grads = [
            d1.T @ x,
            d1.sum(axis=0),
            d2.T @ a1,
            d2.sum(axis=0),
            d3.T @ a2,
            d3.sum(axis=0),
        ]
        for p, g in zip(self.params, grads):
            g += (2 * ALPHA) * p
            g *= lr
            p -= g
        return loss


class OursNet:
    name = "tinygrad_edu"

    def __init__(self, params: list[np.ndarray], x: np.ndarray, y: np.ndarray) -> None:
        self.initial = params
        self.x, self.y = tg.Tensor(x), y
        modules = _nn()
        if modules is not None:
            nn, self.F = modules
            self.model = nn.MLP(list(SIZES))
            self.params = list(self.model.parameters())
            self.forward = self._forward_nn
        else:
            self.params = [tg.Tensor(p.copy(), requires_grad=True) for p in params]
            self.forward = self._forward_ops
        self.reset()
        self.optimizer = make_sgd(self.params, lr=1.0)

    def reset(self) -> None:
        for p, value in zip(self.params, self.initial):
            p.data[...] = value

    def _forward_nn(self) -> tg.Tensor:
        F = self.F
        score = self.model(self.x).reshape(-1)
        return F.hinge_loss(score, self.y) + ALPHA * F.l2_penalty(self.params)

    def _forward_ops(self) -> tg.Tensor:
        w1, b1, w2, b2, w3, b3 = self.params
        h = tg.ops.linear(self.x, w1, b1).relu()
        h = tg.ops.linear(h, w2, b2).relu()
        score = tg.ops.linear(h, w3, b3).reshape(-1)
        penalty = sum((p * p).sum() for p in self.params)
        return (1 - self.y * score).relu().mean() + ALPHA * penalty

    def step(self, lr: float) -> float:
        loss = self.forward()
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.lr = lr
        self.optimizer.step()
        return loss.item()


class TorchNet:
    name = "torch"

    def __init__(
        self, torch: Any, params: list[np.ndarray], x: np.ndarray, y: np.ndarray
    ) -> None:
        self.torch = torch
        self.initial = [torch.from_numpy(p) for p in params]
        layers = []
        for n_in, n_out in zip(SIZES[:-1], SIZES[1:]):
            layers += [torch.nn.Linear(n_in, n_out), torch.nn.ReLU()]
        self.model = torch.nn.Sequential(*layers[:-1])
        self.params = list(self.model.parameters())
        self.x, self.y = torch.from_numpy(x), torch.from_numpy(y)
        self.reset()
        self.optimizer = torch.optim.SGD(self.params, lr=1.0)

    def reset(self) -> None:
        with self.torch.no_grad():
            for p, value in zip(self.params, self.initial):
                p.copy_(value)

    def step(self, lr: float) -> float:
        torch = self.torch
        score = self.model(self.x).reshape(-1)
        penalty = sum((p * p).sum() for p in self.params)
        loss = torch.relu(1 - self.y * score).mean() + ALPHA * penalty
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.param_groups[0]["lr"] = lr
        self.optimizer.step()
        return loss.item()


class MicrogradNet:
    """micrograd's demo.ipynb training loop, verbatim apart from the weight init."""

    name = "micrograd"

    def __init__(self, params: list[np.ndarray], x: np.ndarray, y: np.ndarray) -> None:
        from micrograd.engine import Value
        from micrograd.nn import MLP

        self.Value = Value
        self.model = MLP(SIZES[0], list(SIZES[1:]))
        self.initial = params
        self.x, self.y = x.tolist(), y.tolist()
        self.reset()

    def reset(self) -> None:
        for layer, w, b in zip(
            self.model.layers, self.initial[0::2], self.initial[1::2]
        ):
            for j, neuron in enumerate(layer.neurons):
                for i, wi in enumerate(neuron.w):
                    wi.data = float(w[j, i])
                neuron.b.data = float(b[j])

    def step(self, lr: float) -> float:
        model, Value = self.model, self.Value
        inputs = [list(map(Value, row)) for row in self.x]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(self.y, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = ALPHA * sum(p * p for p in model.parameters())
        total_loss = data_loss + reg_loss
        model.zero_grad()
        total_loss.backward()
        for p in model.parameters():
            p.data -= lr * p.grad
        return total_loss.data


def train(net: Any, steps: int = STEPS) -> list[float]:
    net.reset()
    return [net.step(learning_rate(k)) for k in range(steps)]


def check_curve(name: str, curve: list[float], reference: list[float]) -> None:
    """The same work: every loss curve follows the NumPy one (up to float rounding)."""
    if not np.allclose(curve, reference[: len(curve)], rtol=1e-3, atol=1e-5):
        raise AssertionError(
            f"{name}: loss curve {curve[:3]}... != numpy's {reference[:3]}..."
        )


def time_micrograd(net: MicrogradNet, reference: list[float], quick: bool) -> Timing:
    """micrograd is ~10,000x slower: a few samples alone, not interleaved. In quick
    mode it trains 2 of the 20 steps and the time is scaled to 20."""
    steps = 2 if quick else STEPS
    samples = []
    for _ in range(1 if quick else 3):
        gc.collect()
        start = time.perf_counter()
        curve = train(net, steps)
        samples.append((time.perf_counter() - start) * STEPS / steps)
        check_curve("micrograd", curve, reference)
    return Timing(statistics.median(samples), min(samples), samples, curve)


def scalar_network(peers: Peers, quick: bool) -> tuple[list[Row], list[str]]:
    params = init_params()
    x, y = make_moons(100)
    nets: dict[str, Any] = {
        NUMPY: NumpyNet(params, x, y),
        "tinygrad_edu": OursNet(params, x, y),
    }
    if peers.torch is not None:
        nets["torch"] = TorchNet(peers.torch, params, x, y)

    demo = f"moons demo: 100 points x {STEPS} steps"
    fns: dict[str, Callable[[], Any]] = {
        name: (lambda net=net: train(net)) for name, net in nets.items()
    }
    timings = interleaved(fns, repeats=3 if quick else 11, warmup=1)
    reference = timings[NUMPY].result
    for name, timing in timings.items():
        check_curve(name, timing.result, reference)
    notes = []
    if peers.micrograd is not None:
        timings["micrograd"] = time_micrograd(
            MicrogradNet(params, x, y), reference, quick
        )
        if quick:
            notes.append(
                "--quick: micrograd trained 2 of the 20 steps; its time is scaled to 20"
            )
    rows = [
        Row(
            "scalar-scale network",
            demo,
            name,
            t.median * 1e3,
            t.min * 1e3 if len(t.samples) > 1 else None,
            "ms",
        )
        for name, t in timings.items()
    ]
    final = ", ".join(
        f"{name} {t.result[-1]:.4f} (step {len(t.result)})"
        for name, t in timings.items()
    )

    # one step at batch 32 (a fixed subset), the plain step without the reset
    subset = slice(0, 32)
    small = {
        name: cls(params, x[subset], y[subset])
        for name, cls in ((NUMPY, NumpyNet), ("tinygrad_edu", OursNet))
    }
    if peers.torch is not None:
        small["torch"] = TorchNet(peers.torch, params, x[subset], y[subset])
    step_fns = {name: (lambda net=net: net.step(0.1)) for name, net in small.items()}
    timings = interleaved(
        step_fns, repeats=3 if quick else 15, number=20 if quick else 200, warmup=5
    )
    rows += [
        Row(
            "scalar-scale network",
            "one step, batch 32",
            name,
            t.median * 1e6,
            t.min * 1e6,
            "µs",
        )
        for name, t in timings.items()
    ]
    add_ratios(rows, NUMPY, "x numpy")
    if peers.micrograd is not None:
        add_ratios(rows, "micrograd", "micrograd / this", inverse=True)
    notes += [
        (
            "2-16-16-1 ReLU, hinge loss + 1e-4·Σp², SGD lr = 1 − 0.9k/100 (micrograd's "
            "demo); each demo run resets the weights and trains 20 steps"
        ),
        f"every loss curve checked against the NumPy one; last losses: {final}",
    ]
    if peers.micrograd is not None:
        notes.append("micrograd / this: how many times faster than micrograd")
    return rows, notes

"""tg.compile against hand-written NumPy, eager tinygrad_edu and PyTorch, in one run.

    PYTHONPATH=$PWD python -m benchmarks.compile [--quick]

or as workload 9 of ``python -m benchmarks`` (``--only compile``).

Rows (interleaved rounds, medians; ratios to the yardstick named in each table):
1. the 2-16-16-1 b32 step of benchmarks/moons.py (hinge + 1e-4·Σp², SGD);
2. the 784-256-128-10 b128 step of benchmarks/mlp.py (cross-entropy, SGD momentum);
3. the 1,000-op chain of benchmarks/chain.py (traced once, the replays timed);
4. the first call (the trace) against one eager step of case 1.
Every compiled result is checked bit for bit against eager before timing.
"""

from __future__ import annotations

import statistics
import sys
import time
from typing import Any, Callable

import numpy as np

import tinygrad_edu as tg
from benchmarks import chain, mlp, moons
from benchmarks.common import Peers, Row, interleaved


def _moons_step(net: moons.OursNet) -> Callable[[], Any]:
    """OursNet.step's work as a function of the batch, compiled."""
    F, model, opt, params, y = net.F, net.model, net.optimizer, net.params, net.y

    def step(x: tg.Tensor) -> tg.Tensor:
        loss = F.hinge_loss(model(x).reshape(-1), y) + moons.ALPHA * F.l2_penalty(
            params
        )
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss

    return tg.compile(step)


def small_network(repeats: int, number: int) -> dict[str, float]:
    params = moons.init_params()
    x, y = moons.make_moons(100)
    x, y = x[:32], y[:32]
    numpy_net = moons.NumpyNet(params, x, y)
    eager, compiled_net = moons.OursNet(params, x, y), moons.OursNet(params, x, y)
    step = _moons_step(compiled_net)
    for _ in range(3):  # same trajectory, bit for bit
        eager.step(0.1)
        compiled_net.optimizer.lr = 0.1
        step(compiled_net.x)
    assert all(
        a.data.tobytes() == b.data.tobytes()
        for a, b in zip(eager.params, compiled_net.params)
    )

    def compiled() -> None:
        compiled_net.optimizer.lr = 0.1
        step(compiled_net.x)

    fns = {
        "numpy": lambda: numpy_net.step(0.1),
        "eager": lambda: eager.step(0.1),
        "compiled": compiled,
    }
    t = interleaved(fns, repeats, number, warmup=5)
    return {name: timing.median * 1e6 for name, timing in t.items()}


def mnist_mlp(repeats: int, number: int) -> dict[str, float]:
    params = mlp.init_params(mlp.SIZES)
    x, y = mlp.make_batch(128)
    numpy_net, eager, net = (
        mlp.NumpyMLP(params, x, y),
        mlp.OursMLP(params, x, y),
        mlp.OursMLP(params, x, y),
    )
    labels = tg.Tensor(y)

    @tg.compile
    def step(xb: tg.Tensor, yb: tg.Tensor) -> tg.Tensor:
        net.optimizer.zero_grad()
        loss = net.F.cross_entropy(net.model(xb), yb)
        loss.backward()
        net.optimizer.step()
        return loss

    for _ in range(3):
        eager.step()
        step(net.x, labels)
    assert all(
        a.data.tobytes() == b.data.tobytes() for a, b in zip(eager.params, net.params)
    )
    fns = {
        "numpy": numpy_net.step,
        "eager": eager.step,
        "compiled": lambda: step(net.x, labels),
    }
    t = interleaved(fns, repeats, number, warmup=3)
    return {name: timing.median * 1e6 for name, timing in t.items()}


def op_chain(repeats: int, n_ops: int = 1000) -> dict[str, float]:
    c = tg.Tensor(chain.C)

    @tg.compile
    def run(x: tg.Tensor) -> None:
        y = x
        for i in range(n_ops):
            y = y * c if i % 2 == 0 else y.relu()
        y.sum().backward()

    x = tg.Tensor(chain.X0, requires_grad=True)

    def compiled() -> np.ndarray:
        x.grad = None
        run(x)
        return x.grad.data

    fns = {
        "numpy": chain.numpy_chain(n_ops),
        "eager": chain.ours_chain(n_ops),
        "compiled": compiled,
    }
    try:
        import torch

        torch.set_num_threads(1)
        fns["torch"] = chain.torch_chain(torch, n_ops)
    except ImportError:
        pass
    t = interleaved(fns, repeats, 1, warmup=2)
    chain.check("compiled", t["compiled"].result, n_ops)
    return {name: timing.median * 1e6 for name, timing in t.items()}


def first_call(repeats: int) -> dict[str, float]:
    """The trace of case 1 (a fresh compiled function each time) against one eager
    step of it once warm (the stricter yardstick: no first-step allocations)."""
    params = moons.init_params()
    x, y = moons.make_moons(100)
    eager = moons.OursNet(params, x[:32], y[:32])
    for _ in range(5):
        eager.step(0.1)
    traces, eagers = [], []
    for _ in range(repeats):
        net = moons.OursNet(params, x[:32], y[:32])
        net.step(0.1)  # (its optimizer's first-step allocations, outside the timing)
        step = _moons_step(net)
        start = time.perf_counter()
        eager.step(0.1)
        eagers.append(time.perf_counter() - start)
        start = time.perf_counter()
        step(net.x)
        traces.append(time.perf_counter() - start)
    return {
        "eager": statistics.median(eagers) * 1e6,
        "compiled": statistics.median(traces) * 1e6,
    }


WORKLOAD = "compile"
# the cases' names in the rows ("compile: " first, so no other workload's prefix matches)
SMALL, MNIST, CHAIN, TRACE = (
    "compile: 2-16-16-1 step, batch 32",
    "compile: 784-256-128-10 step, batch 128",
    "compile: 1,000-op chain, fwd+bwd",
    "compile: first call (trace) of the 2-16-16-1 step",
)


def compiled_steps(peers: Peers, quick: bool) -> tuple[list[Row], list[str]]:
    """The four cases as rows of ``python -m benchmarks`` (medians in µs, ratios to
    the yardstick of each case: NumPy, torch for the chain, one eager step for the
    trace)."""
    del peers  # op_chain imports torch itself when installed
    r = 3 if quick else 15
    cases = [
        (SMALL, small_network(r, 20 if quick else 200), "numpy", "x numpy"),
        (MNIST, mnist_mlp(r, 2 if quick else 10), "numpy", "x numpy"),
        (CHAIN, op_chain(r), "torch", "x torch"),
        (TRACE, first_call(5 if quick else 21), "eager", "x one eager step"),
    ]
    rows = []
    for case, times, base, label in cases:
        for impl, value in times.items():
            ratios = {label: value / times[base]} if base in times else {}
            rows.append(Row(WORKLOAD, case, impl, value, None, "µs", ratios))
    notes = [
        "compiled results checked bit for bit against eager before timing; the "
        "chain's replays are timed after one trace",
        "the first-call case times with the wall clock (medians of fresh traces)",
    ]
    return rows, notes


def _table(title: str, times: dict[str, float], base: str, unit: str = "µs") -> None:
    print(f"\n{title}")
    for name, value in times.items():
        print(f"  {name:<10} {value:10.1f} {unit}   {value / times[base]:6.2f}x {base}")


def main(argv: list[str]) -> None:
    quick = "--quick" in argv
    r = 3 if quick else 15
    _table(
        "2-16-16-1, batch 32, one step (target compiled <= 1.0x numpy)",
        small_network(r, 20 if quick else 200),
        "numpy",
    )
    _table(
        "784-256-128-10, batch 128, one step (target compiled <= 1.04x numpy)",
        mnist_mlp(r, 2 if quick else 10),
        "numpy",
    )
    chain_times = op_chain(r)
    base = "torch" if "torch" in chain_times else "numpy"
    _table(
        "1,000-op chain, forward + backward (target compiled <= 0.3x torch)",
        chain_times,
        base,
    )
    _table(
        "first call of case 1: the trace (target <= 3x one eager step)",
        first_call(5 if quick else 21),
        "eager",
    )


if __name__ == "__main__":
    main(sys.argv[1:])

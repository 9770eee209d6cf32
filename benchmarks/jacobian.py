"""Forward vs reverse mode: the full Jacobian of a wide and of a tall function.

``python -m benchmarks.jacobian [--quick]`` prints one table. The function is a
two-layer tanh map ``f(x) = tanh(W2 · tanh(W1 · x))`` (float64, hidden width 32):

- wide: 1000 inputs → 10 outputs; tall: 10 inputs → 1000 outputs.

``jacobian(f, mode="reverse")`` runs one vjp (reverse sweep) per output element,
``mode="forward"`` one jvp per input element. tinygrad_edu's jvp is the double-vjp
trick, so a jvp costs a few reverse sweeps rather than one forward pass; the
counts still decide: the mode with fewer sweeps wins by about the ratio of the
sizes. Both modes' results are checked against each other before timing.
"""

from __future__ import annotations

import argparse

import numpy as np

import tinygrad_edu as tg
from benchmarks.common import interleaved

HIDDEN = 32
SHAPES = {"wide": (1000, 10), "tall": (10, 1000)}


def make_function(n_in: int, n_out: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    W1 = tg.Tensor(rng.standard_normal((HIDDEN, n_in)) / np.sqrt(n_in))
    W2 = tg.Tensor(rng.standard_normal((n_out, HIDDEN)) / np.sqrt(HIDDEN))

    def f(x: tg.Tensor) -> tg.Tensor:
        return tg.tanh(tg.matmul(W2, tg.tanh(tg.matmul(W1, x))))

    return f, rng.standard_normal(n_in)


def measure(quick: bool) -> list[tuple]:
    rows = []
    for name, (n_in, n_out) in SHAPES.items():
        f, x = make_function(n_in, n_out)
        reverse, forward = tg.jacobian(f), tg.jacobian(f, mode="forward")
        J = reverse(x).data
        assert J.shape == (n_out, n_in)
        np.testing.assert_allclose(forward(x).data, J, rtol=1e-9, atol=1e-12)
        timings = interleaved(
            {"reverse": lambda: reverse(x), "forward": lambda: forward(x)},
            repeats=2 if quick else 5,
        )
        t_rev, t_fwd = timings["reverse"].median, timings["forward"].median
        rows.append((name, n_in, n_out, n_out, t_rev, n_in, t_fwd))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.jacobian")
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args(argv)
    print(__doc__.split("\n")[0])
    print(f"f(x) = tanh(W2 · tanh(W1 · x)), hidden {HIDDEN}, float64; median time\n")
    header = (
        f"{'Jacobian':8} {'in -> out':>11} {'reverse (vjps)':>22} {'forward (jvps)':>22} "
        f"{'fwd/rev':>8}"
    )
    print(header)
    print("-" * len(header))
    for name, n_in, n_out, sweeps, t_rev, pushes, t_fwd in measure(args.quick):
        reverse = f"{sweeps} x {t_rev / sweeps * 1e3:.2f} = {t_rev * 1e3:.1f} ms"
        forward = f"{pushes} x {t_fwd / pushes * 1e3:.2f} = {t_fwd * 1e3:.1f} ms"
        print(
            f"{name:8} {f'{n_in} -> {n_out}':>11} {reverse:>22} {forward:>22} "
            f"{t_fwd / t_rev:7.2f}x"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

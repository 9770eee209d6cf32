"""The command line: ``python -m tinygrad_edu demo`` (also ``tinygrad-edu demo``).

``demo`` is the short tour: a perceptron learns AND, OR and NAND, fails on XOR, and a
two-layer network trained by backpropagation solves XOR.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Sequence

import numpy as np

GATES = {
    "and": [0, 0, 0, 1],
    "or": [0, 1, 1, 1],
    "nand": [1, 1, 1, 0],
    "xor": [0, 1, 1, 0],
}
INPUTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)


def perceptron_rule(x: np.ndarray, y: np.ndarray, epochs: int = 25) -> tuple[np.ndarray, int]:
    """Rosenblatt's rule w ← w + y·x on each mistake (y in ±1); returns (w, errors left)."""
    xb = np.hstack([x, np.ones((len(x), 1))])  # the bias as a constant input
    w = np.zeros(xb.shape[1])
    for _ in range(epochs):
        for xi, yi in zip(xb, y):
            if yi * (w @ xi) <= 0:
                w += yi * xi
    errors = int(np.sum(np.sign(xb @ w) != y))
    return w, errors


def train_xor_mlp(steps: int, seed: int, out_dir: Path) -> float:
    """A 2-4-1 tanh/sigmoid network trained on XOR by gradient descent; returns accuracy."""
    import tinygrad_edu as tg

    tg.manual_seed(seed)
    x = tg.Tensor(INPUTS)
    y = tg.Tensor(np.array(GATES["xor"], dtype=np.float64).reshape(-1, 1))
    w1 = tg.Tensor(tg.randn(4, 2, dtype=np.float64).data, requires_grad=True, name="w1")
    b1 = tg.Tensor(np.zeros(4), requires_grad=True, name="b1")
    w2 = tg.Tensor(tg.randn(1, 4, dtype=np.float64).data, requires_grad=True, name="w2")
    b2 = tg.Tensor(np.zeros(1), requires_grad=True, name="b2")
    params = [w1, b1, w2, b2]
    losses = []
    for step in range(steps):
        hidden = tg.linear(x, w1, b1).tanh()
        p = tg.linear(hidden, w2, b2).sigmoid()
        loss = -(y * p.log() + (1 - y) * (1 - p).log()).mean()
        for t in params:
            t.zero_grad()
        loss.backward()
        with tg.no_grad():
            for t in params:
                t -= 1.0 * t.grad
        losses.append(loss.item())
        if step % max(1, steps // 5) == 0 or step == steps - 1:
            print(f"  step {step:4d}  loss {loss.item():.4f}")
    (out_dir / "xor_losses.csv").write_text(
        "step,loss\n" + "".join(f"{i},{v}\n" for i, v in enumerate(losses))
    )
    predictions = (p.data > 0.5).astype(int).ravel()
    return float(np.mean(predictions == np.array(GATES["xor"])))


def demo(args: argparse.Namespace) -> int:
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    print("1. A perceptron learns logic gates (perceptron rule, labels ±1):")
    for gate, labels in GATES.items():
        y = np.where(np.array(labels) > 0, 1.0, -1.0)
        w, errors = perceptron_rule(INPUTS, y)
        verdict = "learned" if errors == 0 else f"FAILS ({errors} of 4 wrong)"
        print(f"  {gate:>4}: w = {np.round(w[:2], 2)}, b = {w[2]:+.0f}  -> {verdict}")
    print("   XOR is not linearly separable: no line splits {01, 10} from {00, 11}.")
    print("2. A 2-4-1 network trained by backpropagation solves XOR:")
    accuracy = train_xor_mlp(args.steps, args.seed, out_dir)
    print(f"   accuracy on XOR: {accuracy:.2f}")
    print(f"Wrote the loss curve to {out_dir / 'xor_losses.csv'}")
    return 0 if accuracy == 1.0 else 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tinygrad-edu", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command")
    tour = commands.add_parser("demo", help="the short tour: perceptrons, XOR, an MLP")
    tour.add_argument("--out", default="tinygrad_edu_output", help="folder for the files it writes")
    tour.add_argument("--steps", type=int, default=500, help="training steps of the XOR network")
    tour.add_argument("--seed", type=int, default=0)
    tour.add_argument("--quick", action="store_true", help="fewer steps (for tests)")
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    if args.quick:
        args.steps = min(args.steps, 300)
    return demo(args)


if __name__ == "__main__":
    sys.exit(main())

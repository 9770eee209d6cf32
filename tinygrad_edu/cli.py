"""The command line: ``python -m tinygrad_edu demo`` (also ``tinygrad-edu demo``).

``demo`` is the short tour: a perceptron learns AND, OR and NAND, fails on XOR (and
the demo says why), then a 2-4-1 network trained by backpropagation solves XOR. It
writes what there is to see into the output folder: the computation graph of one
forward/backward pass, the backward pass frame by frame, the network's diagram and
the training curves.

Read next: ``viz/`` (the pictures), starting at ``viz/__init__.py``.
"""

from __future__ import annotations

import argparse
import math
import shutil
import sys
from pathlib import Path
from typing import Any, Sequence

import numpy as np

GATES = {
    "and": [0, 0, 0, 1],
    "or": [0, 1, 1, 1],
    "nand": [1, 1, 1, 0],
    "xor": [0, 1, 1, 0],
}
INPUTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)

WHY_XOR_FAILS = """\
   Why: a perceptron answers with one straight line, w1*x1 + w2*x2 + b = 0. XOR
   wants (0,1) and (1,0) on one side:  w2 + b > 0  and  w1 + b > 0,  so
   w1 + w2 + 2b > 0; and (0,0), (1,1) on the other:  b <= 0  and  w1 + w2 + b <= 0,
   so w1 + w2 + 2b <= 0. Both cannot hold: no line separates XOR. A hidden layer
   bends the space first, so that a line can."""


# ---- 1. the perceptron -----------------------------------------------------------


def perceptron_tour(epochs: int = 20) -> dict[str, list[int]]:
    """Rosenblatt's rule on each gate (labels ±1); returns the mistakes per epoch."""
    from . import nn

    print("1. A perceptron learns logic gates (Rosenblatt's rule, labels ±1):")
    results = {}
    for gate, labels in GATES.items():
        y = np.where(np.array(labels) > 0, 1, -1)
        perceptron = nn.Perceptron(2)
        mistakes = perceptron.fit_perceptron_rule(INPUTS, y, epochs=epochs)
        results[gate] = mistakes
        w, b = perceptron.weight.data, float(perceptron.bias.data)
        if mistakes[-1] == 0:
            verdict = f"learned in {len(mistakes)} epoch{'s' * (len(mistakes) != 1)}"
        else:
            verdict = (f"FAILS: still {min(mistakes)}-{max(mistakes)} mistakes per "
                       f"epoch after {epochs} epochs")
        line = f"w = [{w[0]:+.1f}, {w[1]:+.1f}], b = {b:+.1f}"
        print(f"   {gate:>4}: {line}  -> {verdict}")
    print(WHY_XOR_FAILS)
    return results


# ---- 2. the network --------------------------------------------------------------


class _Progress:
    """A progress bar when someone watches (a terminal or Jupyter: the rule of
    ``tinygrad_edu.progress``); a few plain lines otherwise (logs, tests)."""

    def __init__(self, total: int) -> None:
        from .progress import progress_bar

        self.total = total
        self.bar = progress_bar(total, desc="   training", unit="step")

    def update(self, step: int, loss: float, accuracy: float) -> None:
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix(loss=f"{loss:.4f}", accuracy=f"{accuracy:.2f}",
                                 refresh=False)
        elif step % max(1, self.total // 5) == 0 or step == self.total - 1:
            print(f"   step {step + 1:4d}/{self.total}  loss {loss:.4f}  "
                  f"accuracy {accuracy:.2f}")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def train_xor(steps: int, seed: int, lr: float = 1.0) -> tuple[Any, dict, float]:
    """A 2-4-1 tanh/sigmoid MLP trained on XOR by full-batch gradient descent.

    Returns (model, history ``{"loss": [...], "accuracy": [...]}``, final accuracy).
    """
    import tinygrad_edu as tg
    import tinygrad_edu.nn.functional as F
    from tinygrad_edu import nn, optim
    from tinygrad_edu.metrics import accuracy as accuracy_of
    from tinygrad_edu.train import train_step

    tg.manual_seed(seed)
    x = tg.Tensor(INPUTS)
    y = np.array(GATES["xor"], dtype=np.float32).reshape(-1, 1)
    model = nn.MLP([2, 4, 1], activation="tanh", output_activation="sigmoid")
    optimizer = optim.SGD(model.parameters(), lr=lr)
    history: dict[str, list[float]] = {"loss": [], "accuracy": []}
    print(f"2. A 2-4-1 network (tanh, sigmoid output) learns XOR by backpropagation "
          f"({steps} steps of gradient descent, lr {lr}):")
    progress = _Progress(steps)
    for step in range(steps):  # the lecture's loop: one train_step per step
        loss, p = train_step(model, F.binary_cross_entropy, optimizer, x, y,
                             return_output=True)
        accuracy = accuracy_of(p.data, y, threshold=0.5)  # sigmoid: probabilities
        history["loss"].append(loss)
        history["accuracy"].append(accuracy)
        progress.update(step, loss, accuracy)
    progress.close()
    with tg.no_grad():
        p = model(x).data
    accuracy = accuracy_of(p, y, threshold=0.5)
    for (a, b), target, prob in zip(INPUTS.astype(int).tolist(), y.ravel(), p.ravel()):
        print(f"   xor({a}, {b}) = {int(target)}   network says {prob:.3f}")
    return model, history, accuracy


# ---- 3. the pictures -------------------------------------------------------------


NO_GRAPHVIZ = (
    "Graphviz's 'dot' program is not installed, so only .dot files were written "
    "(apt-get install graphviz / brew install graphviz / conda install graphviz; or "
    "paste a .dot file into an online viewer)"
)


def _draw(draw: Any, path: Path, written: list[Path], notes: list[str]) -> None:
    """``draw(path)`` for the .dot file, and for an .svg when Graphviz is installed."""
    written.append(draw(path.with_suffix(".dot")))
    if shutil.which("dot") is not None:
        written.append(draw(path.with_suffix(".svg")))
    elif NO_GRAPHVIZ not in notes:
        notes.append(NO_GRAPHVIZ)


def write_pictures(
    model: Any, history: dict, out_dir: Path
) -> tuple[list[Path], list[str]]:
    """Graph, backward frames, diagram and curves; returns (paths written, notes)."""
    import tinygrad_edu as tg
    import tinygrad_edu.nn.functional as F
    from tinygrad_edu import viz

    written: list[Path] = []
    notes: list[str] = []

    # the graph of one forward/backward pass of the trained network (parameters by name)
    model.zero_grad()
    target = np.array(GATES["xor"], dtype=np.float32).reshape(-1, 1)
    loss = F.binary_cross_entropy(model(tg.Tensor(INPUTS, name="x")), target)
    loss.backward(retain_graph=True)  # kept for all_grads: grads on intermediates too
    _draw(lambda path: viz.render(loss, path, names=[model, {"loss": loss}],
                                  all_grads=True),
          out_dir / "computation_graph", written, notes)

    # backward frame by frame, on one neuron of that network (scalars: every value,
    # gradient and local derivative is visible): o = tanh(w1*x1 + w2*x2 + b)
    first = model.linears[0]
    x1, x2 = tg.Tensor(np.float32(1.0)), tg.Tensor(np.float32(0.0))
    w1 = tg.Tensor(first.weight.data[0, 0], requires_grad=True)
    w2 = tg.Tensor(first.weight.data[0, 1], requires_grad=True)
    b = tg.Tensor(first.bias.data[0], requires_grad=True)
    x1w1 = x1 * w1
    x2w2 = x2 * w2
    z = x1w1 + x2w2 + b
    o = z.tanh()
    names = {"x1": x1, "x2": x2, "w1": w1, "w2": w2, "b": b, "x1w1": x1w1,
             "x2w2": x2w2, "z": z, "o": o}
    frames = viz.render_backward(o, out_dir / "backward", names=names)
    for frame in frames:
        if frame.suffix != ".dot":
            written.append(frame.with_suffix(".dot"))
        written.append(frame)
    # the same frames as one page that steps with buttons, ←/→ and #step=k
    written.append(viz.animate_backward(o, names=names).save(out_dir / "backward.html"))

    # the architecture
    _draw(lambda path: viz.draw_mlp(model, path), out_dir / "mlp", written, notes)

    # the training curves: a picture with matplotlib, the numbers without it
    try:
        written.append(viz.plot_history(history, out_dir / "training_curves.png",
                                        title="2-4-1 MLP on XOR"))
    except ImportError:
        csv = out_dir / "training_curves.csv"
        steps = range(1, len(history["loss"]) + 1)
        rows = zip(steps, history["loss"], history["accuracy"])
        csv.write_text("step,loss,accuracy\n"
                       + "".join(f"{i},{loss_},{acc}\n" for i, loss_, acc in rows))
        written.append(csv)
        notes.append("matplotlib is not installed, so the training curves are a .csv "
                     "(pip install tinygrad-edu[plot] for a picture)")
    return written, notes


# ---- the commands ----------------------------------------------------------------


def demo(args: argparse.Namespace) -> int:
    out_dir = Path(args.out)  # created (or refused) by main before anything runs
    perceptron_tour()
    model, history, accuracy = train_xor(args.steps, args.seed, args.lr)
    solved = accuracy == 1.0
    if solved:
        final = history["loss"][-1]
        print(f"   XOR solved: all 4 cases right (final loss {final:.4f}).")
    else:
        print(f"   XOR NOT solved: accuracy {accuracy:.2f} after {args.steps} steps "
              "(try more --steps or another --seed).")
    print(f"3. Pictures, in {out_dir}:")
    written, notes = write_pictures(model, history, out_dir)
    frames = [p for p in written if p.parent.name == "backward"]
    for path in written:
        if path not in frames:
            print(f"   {path}")
    if frames:
        stems = sorted({p.stem for p in frames})
        kinds = ", ".join(sorted({p.suffix for p in frames}))
        print(f"   {frames[0].parent}/{stems[0]} … {stems[-1]} ({kinds}): one frame "
              "per step of backward")
    for note in notes:
        print(f"   note: {note}")
    print("   computation_graph: the graph of one forward/backward pass; backward/: "
          "backpropagation step by step on one neuron (backward.html: the same "
          "steps as one page, open it in a browser); mlp: the trained weights "
          "(blue > 0, red < 0); training_curves: loss and accuracy per step.")
    return 0 if solved else 1


# ---- arguments: checked before anything runs --------------------------------------


def _positive_int(text: str) -> int:
    value = _int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _seed(text: str) -> int:
    value = _int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None


def _learning_rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


def _make_out_dir(parser: argparse.ArgumentParser, out: str) -> None:
    """Create the output folder, or stop with a one-line usage error (exit 2)."""
    path = Path(out)
    if path.exists() and not path.is_dir():
        parser.error(f"argument --out: {out!r} exists and is not a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        parser.error(f"argument --out: cannot create the folder {out!r}: "
                     f"{error.strerror or error}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="tinygrad-edu",
        description="tinygrad_edu, a NumPy autograd engine for learning: "
        "'tinygrad-edu <command> --help' tells more about each command.",
    )
    commands = parser.add_subparsers(dest="command", metavar="command")
    tour = commands.add_parser(
        "demo", help="the short tour: perceptrons, XOR, an MLP, and pictures of it all",
        description=__doc__.split("\n\n")[1].replace("``", ""),
        epilog="exit status: 0 when the network solves XOR, 1 when it does not "
        "(try more --steps or another --seed) or a file cannot be written, 2 for "
        "bad arguments.",
    )
    tour.add_argument("--out", default="tinygrad_edu_output",
                      help="folder for the files it writes (default: %(default)s)")
    tour.add_argument("--steps", type=_positive_int, default=1000,
                      help="training steps of the XOR network (default: %(default)s)")
    tour.add_argument("--lr", type=_learning_rate, default=1.0,
                      help="learning rate, > 0 (default: %(default)s)")
    tour.add_argument("--seed", type=_seed, default=0,
                      help="random seed (default: %(default)s)")
    tour.add_argument("--quick", action="store_true",
                      help="300 steps at most (for tests)")
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    if args.quick:
        args.steps = min(args.steps, 300)
    _make_out_dir(tour, args.out)
    try:
        return demo(args)
    except OSError as error:  # a file in --out cannot be written (disk full, ...)
        print(f"tinygrad-edu demo: error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

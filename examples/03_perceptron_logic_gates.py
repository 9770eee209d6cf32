"""Perceptrons as logic gates: AND, OR, NAND are learned; XOR needs a circuit.

Lecture, "Logic circuits with perceptrons" and "Limitations of the Perceptron":

    perceptron:  out = step(w·x + b)    (1 if w₁x₁ + w₂x₂ + b > 0, else 0)
    rule:        on a mistake (y·(w·x + b) ≤ 0, labels y = ±1):  w ← w + y·x,  b ← b + y

* AND, OR and NAND are linearly separable: the perceptron rule finds a line.
* NAND is universal: XOR(a, b) = NAND(NAND(a, m), NAND(b, m)) with m = NAND(a, b),
  so four copies of the learned NAND perceptron compute XOR.
* One perceptron cannot compute XOR. It would need (0,1), (1,0) on the positive
  side:  w₂ + b > 0,  w₁ + b > 0  ⇒  w₁ + w₂ + 2b > 0; and (0,0), (1,1) on the other:
  b ≤ 0,  w₁ + w₂ + b ≤ 0  ⇒  w₁ + w₂ + 2b ≤ 0. Contradiction: no line separates XOR,
  so the rule never finishes an epoch without mistakes.

Run:  python examples/03_perceptron_logic_gates.py [--quick] [--out DIR]
"""

from __future__ import annotations

import _common
import numpy as np

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import nn, viz
from tinygrad_edu.data import datasets

args, out = _common.setup("03_perceptron_logic_gates", __doc__.splitlines()[0])
tg.manual_seed(0)

# ---- 1. learn AND, OR, NAND with the perceptron rule ----
learned = {}
for gate in ("and", "or", "nand", "xor"):
    X, y = datasets.logic_gate(gate, signed=True)  # X in {0,1}², y in {−1, +1}
    p = nn.Perceptron(2)
    epochs = 1000 if gate == "xor" and not args.quick else 100
    mistakes = p.fit_perceptron_rule(X, y, epochs=epochs)  # mistakes in each epoch
    accuracy = float(np.mean(p.predict(X).numpy() == y))
    learned[gate] = (p, mistakes, accuracy)
    w, b = p.weight.numpy(), float(p.bias.item())
    status = (
        f"zero mistakes after {len(mistakes)} epochs"
        if mistakes[-1] == 0
        else f"still {min(mistakes)}–{max(mistakes)} mistakes per epoch "
        f"after {len(mistakes)} epochs"
    )
    print(
        f"{gate:>4}: w = {np.round(w, 2)}, b = {b:+.2f}, accuracy {accuracy:.2f}: {status}"
    )

# ---- 2. XOR from four NAND perceptrons ----
nand = learned["nand"][0]


def NAND(a: tg.Tensor, b: tg.Tensor, name: str) -> tg.Tensor:
    """The learned NAND perceptron as a {0,1} gate: step(w·(a, b) + b)."""
    out = F.heaviside(nand(tg.stack([a, b])))  # the step makes the output 0 or 1
    out.name = name
    return out


def XOR(a: tg.Tensor, b: tg.Tensor) -> tg.Tensor:
    m = NAND(a, b, "m=NAND(x1,x2)")
    return NAND(NAND(a, m, "NAND(x1,m)"), NAND(b, m, "NAND(x2,m)"), "XOR")


X, y_xor = datasets.logic_gate("xor")  # labels in {0, 1}
circuit = np.array([XOR(tg.Tensor(a), tg.Tensor(b)).item() for a, b in X])
circuit_accuracy = float(np.mean(circuit == y_xor))
print(
    f"NAND circuit on XOR inputs {X.astype(int).tolist()}: {circuit.astype(int).tolist()} "
    f"(want {y_xor.astype(int).tolist()}), XOR accuracy {circuit_accuracy:.2f}"
)

# ---- 3. no single line separates XOR: a brute-force look at 130,000 lines ----
grid = np.linspace(-3, 3, 51)
W1, W2, B = np.meshgrid(grid, grid, grid, indexing="ij")
# the score of each of the 4 inputs under each line: shape (51, 51, 51, 4)
scores = W1[..., None] * X[:, 0] + W2[..., None] * X[:, 1] + B[..., None]
best_line_accuracy = float(np.max(np.mean((scores > 0) == (y_xor > 0), axis=-1)))
print(
    f"best accuracy of any of {W1.size} lines w₁x₁ + w₂x₂ + b = 0 on XOR: "
    f"{best_line_accuracy:.2f} (3 of 4 points at most)"
)
xor_mistakes = learned["xor"][1]

# ---- pictures: the four decision lines; the circuit's computation graph ----
plt = _common.pyplot()
if plt is not None:
    fig, axes = plt.subplots(1, 4, figsize=(14, 3.6), layout="constrained")
    g1, g2 = np.meshgrid(np.linspace(-0.5, 1.5, 201), np.linspace(-0.5, 1.5, 201))
    for ax, (gate, (p, mistakes, acc)) in zip(axes, learned.items()):
        Xg, yg = datasets.logic_gate(gate)
        w, b = p.weight.numpy(), float(p.bias.item())
        # shaded: where the perceptron answers 1 (w·x + b > 0); the line is w·x + b = 0
        ax.contourf(
            g1,
            g2,
            w[0] * g1 + w[1] * g2 + b > 0,
            levels=[-0.5, 0.5, 1.5],
            colors=["#dde6ff", "#ffdddd"],
        )
        ax.contour(g1, g2, w[0] * g1 + w[1] * g2 + b, levels=[0], colors="k")
        ax.scatter(
            Xg[:, 0], Xg[:, 1], c=yg, cmap="bwr", s=120, edgecolors="k", vmin=0, vmax=1
        )
        ax.set(
            xlabel="x₁",
            ylabel="x₂",
            title=f"{gate.upper()}: accuracy {acc:.2f}"
            + (" (fails)" if acc < 1 else ""),
        )
    fig.suptitle("red: target 1, blue: target 0; shading: the perceptron's answer")
    _common.save(fig, out / "decision_lines.png")

    fig, ax = plt.subplots(figsize=(5, 3.2))
    ax.plot(range(1, len(xor_mistakes) + 1), xor_mistakes, marker=".")
    ax.set(
        xlabel="epoch",
        ylabel="mistakes",
        ylim=(0, 4.2),
        title="perceptron rule on XOR: never 0 mistakes",
    )
    _common.save(fig, out / "xor_mistakes.png")

# the circuit for input (1, 0); requires_grad on the inputs only so that the graph
# records them (the step's gradient is 0 anyway: nothing here is trained)
x1 = tg.Tensor(1.0, requires_grad=True, name="x1")
x2 = tg.Tensor(0.0, requires_grad=True, name="x2")
one = XOR(x1, x2)
_common.picture(
    lambda path: viz.render(one, path, show_grad=False, names=nand),
    out / "xor_circuit_graph.svg",
)

# ---- the stated result ----
for gate in ("and", "or", "nand"):
    _common.check(
        learned[gate][2] == 1.0 and learned[gate][1][-1] == 0,
        f"a perceptron learns {gate.upper()} (accuracy 1.0, an epoch with 0 mistakes)",
    )
_common.check(
    circuit_accuracy == 1.0,
    "the circuit of NAND perceptrons computes XOR (accuracy 1.0)",
)
_common.check(
    min(xor_mistakes) > 0,
    f"one perceptron never reaches zero mistakes on XOR ({len(xor_mistakes)} epochs, "
    f"min {min(xor_mistakes)} per epoch)",
)
_common.check(
    best_line_accuracy == 0.75,
    "no line among the grid gets more than 3 of 4 XOR points",
)
_common.done(
    f"AND/OR/NAND learned; NAND circuit XOR accuracy {circuit_accuracy:.2f}; "
    f"single perceptron on XOR min mistakes {min(xor_mistakes)} > 0"
)

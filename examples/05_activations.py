"""Activation functions and their derivatives, the derivatives from the engine's autograd.

Lecture, "Activation functions":

    sigmoid     σ(x) = 1 / (1 + e⁻ˣ)
    tanh        tanh(x)
    ReLU        max(0, x)
    Leaky ReLU  max(0.1x, x)
    Maxout      max(w₁ᵀx + b₁, w₂ᵀx + b₂)       (here w₁ = 1, b₁ = 0, w₂ = −0.5, b₂ = −1)
    ELU         x if x ≥ 0,  α(eˣ − 1) if x < 0   (α = 1)

No derivative is written by hand to draw the curves: y = f(x) is computed on a grid
of x values, ``y.sum().backward()`` fills ``x.grad`` with f'(x) at every point
(each y_i depends only on x_i). The check compares them with the textbook formulas,
σ' = σ(1 − σ), tanh' = 1 − tanh², ..., away from the kinks.

Run:  python examples/05_activations.py [--quick] [--out DIR]
"""

from __future__ import annotations

import _common
import numpy as np

import tinygrad_edu as tg
from tinygrad_edu import nn, viz

args, out = _common.setup("05_activations", __doc__.splitlines()[0])
tg.manual_seed(0)
tg.set_default_dtype(np.float64)

# Maxout with two pieces of one input, set by hand so the picture is easy to read
maxout = nn.Maxout(1, 1, pieces=2)
with tg.no_grad():
    # weight: (pieces, out, in) = (2, 1, 1); bias: (pieces, out) = (2, 1)
    maxout.weight.data[...] = np.array([1.0, -0.5]).reshape(2, 1, 1)
    maxout.bias.data[...] = np.array([0.0, -1.0]).reshape(2, 1)

activations = {
    "sigmoid": lambda x: x.sigmoid(),
    "tanh": lambda x: x.tanh(),
    "ReLU": lambda x: x.relu(),
    "Leaky ReLU (0.1)": lambda x: x.leaky_relu(negative_slope=0.1),
    "Maxout": lambda x: maxout(x.reshape(-1, 1)).reshape(-1),
    "ELU (α=1)": lambda x: x.elu(alpha=1.0),
}


# the textbook derivatives, for the check only
def sigma(x):
    return 1 / (1 + np.exp(-x))


textbook = {
    "sigmoid": lambda x: sigma(x) * (1 - sigma(x)),
    "tanh": lambda x: 1 - np.tanh(x) ** 2,
    "ReLU": lambda x: (x > 0).astype(float),
    "Leaky ReLU (0.1)": lambda x: np.where(x > 0, 1.0, 0.1),
    "Maxout": lambda x: np.where(x > -0.5 * x - 1, 1.0, -0.5),  # the winner's slope
    "ELU (α=1)": lambda x: np.where(x >= 0, 1.0, np.exp(x)),
}
kinks = {"ReLU": 0.0, "Leaky ReLU (0.1)": 0.0, "Maxout": -2 / 3, "ELU (α=1)": 0.0}

xs = np.linspace(-4, 4, 801)
values, derivatives, gaps = {}, {}, {}
for name, f in activations.items():
    x = tg.Tensor(xs, requires_grad=True)
    y = f(x)
    y.sum().backward()  # ∂(Σᵢ f(xᵢ))/∂xᵢ = f'(xᵢ)
    values[name], derivatives[name] = y.numpy(), x.grad.numpy()
    away = np.abs(xs - kinks.get(name, 99.0)) > 1e-3  # a kink has no derivative
    gaps[name] = float(np.max(np.abs(derivatives[name] - textbook[name](xs))[away]))
    print(
        f"{name:>17}: f(-2) = {values[name][200]:+.4f}, f'(-2) = {derivatives[name][200]:+.4f}, "
        f"f(2) = {values[name][600]:+.4f}, f'(2) = {derivatives[name][600]:+.4f}; "
        f"max |autograd − textbook| = {gaps[name]:.1e}"
    )

plt = _common.pyplot()
if plt is not None:
    fig, axes = plt.subplots(2, 3, figsize=(12, 6.5), layout="constrained")
    for ax, name in zip(axes.flat, activations):
        ax.plot(xs, values[name], label="f(x)")
        ax.plot(xs, derivatives[name], "--", label="f'(x) by autograd")
        ax.axhline(0, color="k", lw=0.5)
        ax.axvline(0, color="k", lw=0.5)
        ax.set(title=name, xlabel="x")
        ax.legend(fontsize=8, loc="upper left")
    _common.save(fig, out / "activations.png")

# the graph of one Maxout unit on a scalar: both pieces, then their max
x0 = tg.Tensor([[0.5]], requires_grad=True, name="x")
maxout.zero_grad()  # forget the gradients accumulated by the curves above
y0 = maxout(x0).sum()
y0.backward()  # so that the picture shows the gradients too
_common.picture(lambda p: viz.render(y0, p, names=maxout), out / "maxout_graph.svg")

# ---- the stated result ----
worst = max(gaps.values())
for name, gap in gaps.items():
    _common.check(
        gap < 1e-12,
        f"{name}: autograd derivative equals the textbook formula ({gap:.1e})",
    )
_common.check(
    abs(values["Leaky ReLU (0.1)"][0] - 0.1 * xs[0]) < 1e-12,
    "Leaky ReLU is max(0.1x, x)",
)
_common.done(
    f"six activations; autograd derivatives equal the textbook formulas (max diff {worst:.1e})"
)

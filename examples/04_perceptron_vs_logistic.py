"""Perceptron loss vs logistic-regression loss, on the same separable data.

Lecture, "(Putting things in perspective)", with the margin m = y·wᵀf(x), y = ±1:

    L_perc(x, y) = 0 if m > 0,  −m if m ≤ 0           = max(0, −m)
    L_lr(x, y)   = −m + log(1 + exp(m)) if y = +1,  log(1 + exp(−m)) if y = −1
                 = log(1 + exp(−m)) in both cases (softplus of −m)

* Perceptron: on linearly separable data it is guaranteed to converge; once every
  margin is positive the loss and its gradient are exactly 0, and training stops.
* Logistic regression: L_lr > 0 for every finite m, so the likelihood is never
  truly maximised with a finite w: on separable data gradient descent keeps making
  the margins larger, and ‖w‖ keeps growing (like log t).

Both models are ``nn.Perceptron`` (score s = w·x + b) from the same initial
weights, trained by full-batch gradient descent, only the loss differs.

Run:  python examples/04_perceptron_vs_logistic.py [--quick] [--out DIR]
"""

from __future__ import annotations

import _common
import numpy as np

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import nn, optim, viz
from tinygrad_edu.data import datasets

args, out = _common.setup("04_perceptron_vs_logistic", __doc__.splitlines()[0])
tg.manual_seed(0)
tg.set_default_dtype(np.float64)

# ---- 1. the two losses as functions of the margin, derivatives by autograd ----
m = tg.Tensor(np.linspace(-4, 4, 401), requires_grad=True)
ones = np.ones(401)
L_perc = F.perceptron_loss(m, ones, reduction="none")  # y = +1, so the margin is m
# logistic regression's loss with target 1 (⇔ y = +1), on the score m
L_lr = F.binary_cross_entropy_with_logits(m, ones, reduction="none")
L_perc.sum().backward()
dperc = m.grad.numpy().copy()
m.zero_grad()
L_lr.sum().backward()
dlr = m.grad.numpy().copy()
mm = m.numpy()

# the engine's logistic loss equals the lecture's two-case formula, for y = ±1
rng = np.random.default_rng(0)
s, y_pm = rng.normal(0, 3, 50), rng.choice([-1.0, 1.0], 50)
margin = y_pm * s
lecture = np.where(
    y_pm > 0, -margin + np.log1p(np.exp(margin)), np.log1p(np.exp(-margin))
)
engine = F.binary_cross_entropy_with_logits(
    tg.Tensor(s), (y_pm + 1) / 2, reduction="none"
)
formula_gap = float(np.max(np.abs(engine.numpy() - lecture)))
print(
    f"engine's logistic loss vs the lecture's formula: max difference {formula_gap:.1e}"
)

# ---- 2. train both on separable data ----
X, y01 = datasets.blobs(
    n=60, centers=[[-1.5, -1.0], [1.5, 1.0]], cluster_std=0.6, seed=3
)
y01 = y01.astype(np.float64)
y_pm = 2 * y01 - 1  # labels ±1 for the perceptron loss
Xt = tg.Tensor(X)

perceptron = nn.Perceptron(2)
logistic = nn.Perceptron(2)
logistic.load_state_dict(perceptron.state_dict())  # the same starting line


def train(model, loss_fn, target, lr, epochs):
    opt = optim.SGD(model.parameters(), lr=lr)
    errors, norms, losses = [], [], []
    for _ in range(epochs):
        opt.zero_grad()
        scores = model(Xt)
        loss = loss_fn(scores, target)
        loss.backward()
        opt.step()
        errors.append(int(np.sum(np.sign(scores.numpy()) != y_pm)))
        norms.append(float(np.linalg.norm(model.weight.numpy())))
        losses.append(loss.item())
    return np.array(errors), np.array(norms), np.array(losses)


epochs = 400 if args.quick else 3000
perc_err, perc_norm, perc_loss = train(perceptron, F.perceptron_loss, y_pm, 0.1, epochs)
lr_err, lr_norm, lr_loss = train(
    logistic, F.binary_cross_entropy_with_logits, y01, 0.5, epochs
)
first_zero = int(np.argmax(perc_err == 0)) + 1 if np.any(perc_err == 0) else None
print(
    f"perceptron loss: zero training errors from epoch {first_zero}; loss then "
    f"{perc_loss[-1]:.3g}, ‖w‖ frozen at {perc_norm[-1]:.3f}"
)
half = epochs // 2
print(
    f"logistic loss: errors {lr_err[-1]} at the end, loss {lr_loss[-1]:.4g} (> 0), "
    f"‖w‖ = {lr_norm[half - 1]:.3f} at epoch {half} → {lr_norm[-1]:.3f} at epoch {epochs}"
)

# ---- pictures ----
plt = _common.pyplot()
if plt is not None:
    fig, axes = plt.subplots(1, 4, figsize=(17, 3.8), layout="constrained")
    axes[0].plot(mm, L_perc.numpy(), label="L_perc = max(0, −m)")
    axes[0].plot(mm, L_lr.numpy(), label="L_lr = log(1 + e^(−m))")
    axes[0].plot(mm, dperc, "--", label="dL_perc/dm (autograd)")
    axes[0].plot(mm, dlr, "--", label="dL_lr/dm (autograd)")
    axes[0].set(xlabel="margin m = y·wᵀx", title="the two losses")
    axes[0].legend(fontsize=8)
    axes[1].plot(perc_err, label="perceptron loss")
    axes[1].plot(lr_err, label="logistic loss")
    axes[1].set(xscale="log", xlabel="epoch", ylabel="training errors", title="errors")
    axes[1].legend()
    axes[2].plot(np.arange(1, epochs + 1), perc_norm, label="perceptron: stops")
    axes[2].plot(np.arange(1, epochs + 1), lr_norm, label="logistic: keeps growing")
    axes[2].set(xscale="log", xlabel="epoch", ylabel="‖w‖", title="weight norm")
    axes[2].legend()
    ax = axes[3]
    ax.scatter(X[:, 0], X[:, 1], c=y01, cmap="bwr", s=20, edgecolors="k")
    xs = np.linspace(X[:, 0].min(), X[:, 0].max(), 2)
    for model, label in ((perceptron, "perceptron"), (logistic, "logistic")):
        w, b = model.weight.numpy(), float(model.bias.item())
        ax.plot(xs, -(w[0] * xs + b) / w[1], label=label)
    ax.set(ylim=(X[:, 1].min() - 0.5, X[:, 1].max() + 0.5), title="decision lines")
    ax.legend()
    _common.save(fig, out / "perceptron_vs_logistic.png")
# the graph of the logistic loss on three samples: score, then softplus-style loss
small = F.binary_cross_entropy_with_logits(logistic(tg.Tensor(X[:3])), y01[:3])
_common.picture(
    lambda p: viz.render(small, p, names=logistic), out / "logistic_loss_graph.svg"
)

# ---- the stated result ----
_common.check(
    formula_gap < 1e-12, "engine's logistic loss equals the lecture's formula"
)
_common.check(
    np.all(dperc[mm < -0.01] == -1) and np.all(dperc[mm > 0.01] == 0),
    "dL_perc/dm is −1 for m < 0 and 0 for m > 0 (autograd)",
)
_common.check(
    first_zero is not None and np.all(perc_err[first_zero - 1 :] == 0),
    f"perceptron loss reaches zero errors (epoch {first_zero}) and stays there",
)
_common.check(
    perc_loss[-1] == 0.0 and perc_norm[-1] == perc_norm[first_zero],
    "then its loss is exactly 0 and w stops changing",
)
_common.check(
    lr_err[-1] == 0 and lr_loss[-1] > 0,
    "logistic regression separates the data, but its loss stays > 0",
)
_common.check(
    bool(np.all(np.diff(lr_norm[half:]) > 0)),
    "logistic ‖w‖ increases at every epoch of the second half",
)
_common.done(
    f"perceptron zero errors at epoch {first_zero}; logistic ‖w‖ still growing "
    f"({lr_norm[half - 1]:.3f} -> {lr_norm[-1]:.3f})"
)

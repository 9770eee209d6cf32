"""Debugging a network: three broken training runs diagnosed with the toolkit, then fixed.

Lecture, "Debugging a neural network" — what can we do?

    Should we change the learning rate?     Should we initialize differently?
    Do we need more training data?          Should we change the architecture?
    Should we run for more epochs?          Are the features relevant for the problem?

``debug.diagnose`` answers each question with a measurement (short training runs
from the model's initial weights, compared with the loss of a constant prediction).
Three classic bugs, each diagnosed and then fixed:

    A. a learning rate far too large          (lr 5: the loss blows up)
    B. a bad initialisation                   (biases −5: every ReLU is dead)
    C. a model too small for the problem      (a linear model on XOR-shaped data)

and a fourth, found by ``debug.detect_anomaly``: a hand-written cross-entropy
that takes log(0).

Run:  python examples/09_debugging.py [--quick] [--out DIR]
"""

from __future__ import annotations

import _common
import numpy as np

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import debug, nn, optim, train
from tinygrad_edu.data import DataLoader, datasets

args, out = _common.setup("09_debugging", __doc__.splitlines()[0])
tg.manual_seed(0)
budget = 42 if args.quick else 70  # epochs diagnose may spend (about 7 short runs)
epochs = 30 if args.quick else 60  # for the fixed runs


def bce(logits, target):
    return F.binary_cross_entropy_with_logits(logits.reshape(-1), target.reshape(-1))


def fit_and_score(model, opt, data):
    """Train on the training half, return the validation accuracy."""
    (Xtr, ytr), (Xv, yv) = data
    train.fit(
        model,
        bce,
        opt,
        DataLoader(Xtr, ytr, batch_size=32),
        epochs=epochs,
        progress=False,
    )
    with tg.no_grad():
        return float(
            np.mean((model(tg.Tensor(Xv)).numpy().reshape(-1) > 0) == (yv > 0))
        )


def split(X, y):
    y = y.astype(X.dtype)
    n = int(0.7 * len(X))
    return (X[:n], y[:n]), (X[n:], y[n:])


moons = split(*datasets.moons(n=400, noise=0.15, seed=0))
# XOR-shaped data: four clouds, opposite corners share a class
Xx, kx = datasets.blobs(
    n=400, centers=[[-1, -1], [1, 1], [-1, 1], [1, -1]], cluster_std=0.3, seed=0
)
xor_data = split(Xx, (kx >= 2).astype(np.int64))


def sgd(lr):
    return lambda params: optim.SGD(params, lr=lr, momentum=0.9)


# ---- A. the learning rate ----
print("=" * 30, "A. lr = 5 on two moons", "=" * 30)
model = nn.MLP([2, 16, 16, 1])
start = model.state_dict()
report_a = debug.diagnose(model, bce, sgd(5.0), *moons, budget=budget)
print(report_a["learning_rate"])
lr_fixed = report_a["learning_rate"].evidence["best_lr"]
finder = debug.lr_find(
    model, bce, DataLoader(*moons[0], batch_size=32), optimizer=sgd(1e-6)
)
print(
    f"a second opinion, the learning-rate range test: suggested lr {finder.suggested_lr:.3g}"
)
with np.errstate(all="ignore"):
    try:
        acc_a_before = fit_and_score(model, sgd(5.0)(model.parameters()), moons)
    except FloatingPointError as err:  # train.fit stops when the loss is inf/NaN
        print("broken run:", str(err).split(";")[0])
        acc_a_before = float("nan")
model.load_state_dict(start)  # the fix: same model, same start, the suggested lr
acc_a = fit_and_score(model, sgd(lr_fixed)(model.parameters()), moons)
print(
    f"fixed with lr {lr_fixed:g}: validation accuracy {acc_a:.3f} (broken: {acc_a_before:.3f})"
)

# ---- B. the initialisation ----
print("=" * 30, "B. biases −5: dead ReLUs", "=" * 30)
model = nn.MLP([2, 16, 16, 1])
with tg.no_grad():
    for linear in model.linears:
        linear.bias.data[...] = -5.0  # the bug: every ReLU input is negative
report_b = debug.diagnose(model, bce, sgd(0.1), *moons, budget=budget)
print(report_b["initialisation"])
loss = bce(model(tg.Tensor(moons[0][0])), tg.Tensor(moons[0][1]))
loss.backward()
print("gradients at init (zero for everything behind a dead ReLU):")
print(debug.gradient_stats(model))
acc_b_before = fit_and_score(model, sgd(0.1)(model.parameters()), moons)
for linear in model.linears:  # the fix: Kaiming (He) init, zero biases
    nn.init.kaiming_uniform_(linear.weight, nonlinearity="relu")
    nn.init.zeros_(linear.bias)
print(debug.activation_stats(model, tg.Tensor(moons[0][0])))
acc_b = fit_and_score(model, sgd(0.1)(model.parameters()), moons)
print(
    f"fixed with Kaiming init: validation accuracy {acc_b:.3f} (broken: {acc_b_before:.3f})"
)

# ---- C. the architecture ----
print("=" * 30, "C. a linear model on XOR-shaped data", "=" * 30)
model = nn.Linear(2, 1)
report_c = debug.diagnose(model, bce, sgd(0.1), *xor_data, budget=budget)
print(report_c["architecture"])
acc_c_before = fit_and_score(model, sgd(0.1)(model.parameters()), xor_data)
model = nn.MLP([2, 16, 1])  # the fix: a hidden layer
acc_c = fit_and_score(model, sgd(0.1)(model.parameters()), xor_data)
print(
    f"fixed with a 2-16-1 MLP: validation accuracy {acc_c:.3f} (linear: {acc_c_before:.3f})"
)

# ---- D. NaN hunting with detect_anomaly ----
print("=" * 30, "D. a hand-written cross-entropy", "=" * 30)
z = tg.Tensor([[30.0], [-2.0]], requires_grad=True)  # a confident score
target = tg.Tensor([[1.0], [0.0]])
anomaly = None
try:
    with debug.detect_anomaly(), np.errstate(divide="ignore"):  # NumPy would only warn
        p = z.sigmoid()  # σ(30) rounds to exactly 1.0 in float32 ...
        bad = -(
            target * p.log() + (1 - target) * (1 - p).log()
        ).mean()  # ... log(1 − 1)
except debug.AnomalyError as err:
    anomaly = err
    print("caught:", str(err).splitlines()[0])
good = F.binary_cross_entropy_with_logits(z, target)  # the fix: the stable form
good.backward()
print(
    f"binary_cross_entropy_with_logits: loss {good.item():.4f}, grad {z.grad.numpy().ravel()}"
)

plt = _common.pyplot()
if plt is not None:
    fig = finder.plot()
    fig.savefig(out / "lr_find.png")
    print(f"  wrote {out / 'lr_find.png'}")

# ---- the stated result ----
print(f"flagged: A {report_a.flagged}, B {report_b.flagged}, C {report_c.flagged}")
_common.check(
    report_a["learning_rate"].verdict == "too large",
    "A: diagnose says lr 5 is too large",
)
_common.check(
    acc_a >= 0.9, f"A: the suggested lr {lr_fixed:g} trains (val accuracy {acc_a:.3f})"
)
_common.check(
    "initialisation" in report_b.flagged, "B: diagnose flags the initialisation"
)
_common.check(
    acc_b >= 0.9 and acc_b > acc_b_before,
    f"B: Kaiming init trains (val accuracy {acc_b_before:.3f} -> {acc_b:.3f})",
)
_common.check(
    report_c["architecture"].verdict == "underfitting",
    "C: diagnose says the linear model underfits",
)
_common.check(
    acc_c >= 0.9 and acc_c_before < 0.75,
    f"C: a hidden layer fixes it (val accuracy {acc_c_before:.3f} -> {acc_c:.3f})",
)
_common.check(
    anomaly is not None and anomaly.op == "log",
    "D: detect_anomaly names the op (log) that made the NaN/Inf",
)
_common.check(np.isfinite(good.item()), "D: the stable loss is finite")
_common.done(
    f"three broken runs diagnosed and fixed: val accuracy A {acc_a:.3f}, "
    f"B {acc_b:.3f}, C {acc_c:.3f}; anomaly found in {anomaly.op if anomaly else None}"
)

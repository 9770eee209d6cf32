"""Multi-layer perceptrons trained by backpropagation: XOR, two moons, a spiral.

Lecture, "Architecture of Neural Networks" and "How training works":

    an MLP: the output of one layer is the input of the next,  aˡ = σ(wˡ aˡ⁻¹ + bˡ)

    1. in each epoch, randomly shuffle the training data
    2. partition it into mini-batches
    3. for each mini-batch, one step of gradient descent, w ← w − α ∂C/∂w,
       the gradients computed by backpropagation
    4. train for multiple epochs

``DataLoader`` does 1-2 (a fresh permutation every epoch), ``train.fit`` does 3-4.
A hidden layer solves XOR, which no single perceptron can (example 03); the
decision boundaries show what the networks learned.

Run:  python examples/08_mlp_training.py [--quick] [--out DIR]
"""

from __future__ import annotations

import _common
import numpy as np

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import nn, optim, train, viz
from tinygrad_edu.data import DataLoader, datasets

args, out = _common.setup("08_mlp_training", __doc__.splitlines()[0])
tg.manual_seed(0)


def bce(logits, target):
    """Binary cross-entropy on the raw score (logit) of one output unit."""
    return F.binary_cross_entropy_with_logits(logits.reshape(-1), target)


def predict(model, X):
    """Class predictions: score > 0 for one output, argmax for several."""
    with tg.no_grad():
        scores = model(tg.Tensor(X)).numpy()
    return (
        (scores.reshape(-1) > 0).astype(int)
        if scores.shape[1] == 1
        else scores.argmax(1)
    )


# ---- 1. XOR: a 2-4-1 network ----
X_xor, y_xor = datasets.logic_gate("xor")
xor_net = nn.MLP([2, 4, 1], activation="tanh")
opt = optim.Adam(xor_net.parameters(), lr=0.1)
xor_history = train.fit(
    xor_net,
    bce,
    opt,
    DataLoader(X_xor, y_xor, batch_size=4),
    epochs=300,
    metrics="accuracy",
    progress=False,
)
xor_acc = float(np.mean(predict(xor_net, X_xor) == y_xor))
print(
    f"XOR: loss {xor_history.loss[0]:.3f} → {xor_history.loss[-1]:.4f}, accuracy {xor_acc:.2f}, "
    f"predictions {predict(xor_net, X_xor).tolist()}"
)

# ---- 2. two moons: mini-batches, epochs, a validation set ----
X, y = datasets.moons(n=400 if args.quick else 1000, noise=0.15)
X_train, y_train, X_val, y_val = X[:300], y[:300], X[300:], y[300:]
moons_net = nn.MLP([2, 16, 16, 1], activation="relu")
opt = optim.SGD(moons_net.parameters(), lr=0.1, momentum=0.9)
moons_history = train.fit(
    moons_net,
    bce,
    opt,
    DataLoader(X_train, y_train.astype(X.dtype), batch_size=32),  # shuffled every epoch
    val_loader=DataLoader(X_val, y_val.astype(X.dtype), batch_size=256, shuffle=False),
    epochs=40 if args.quick else 100,
    metrics="accuracy",
    progress=False,
)
moons_acc = float(np.mean(predict(moons_net, X_val) == y_val))
print(
    f"moons: {len(moons_history)} epochs, train loss {moons_history.loss[-1]:.3f}, "
    f"validation accuracy {moons_acc:.3f}"
)

# ---- 3. a three-armed spiral: cross-entropy over 3 classes ----
Xs, ys = datasets.spiral(n_per_class=100, n_classes=3, noise=0.2)
spiral_net = nn.MLP([2, 64, 64, 3], activation="relu")
opt = optim.Adam(spiral_net.parameters(), lr=0.01)
spiral_history = train.fit(
    spiral_net,
    F.cross_entropy,
    opt,
    DataLoader(Xs, ys, batch_size=32),
    epochs=60 if args.quick else 200,
    metrics="accuracy",
    progress=False,
)
spiral_acc = float(np.mean(predict(spiral_net, Xs) == ys))
print(
    f"spiral: {len(spiral_history)} epochs, loss {spiral_history.loss[-1]:.3f}, "
    f"training accuracy {spiral_acc:.3f}"
)

# ---- pictures: decision boundaries, training curves, the XOR network ----
plt = _common.pyplot()
if plt is not None:
    from matplotlib.colors import ListedColormap

    colours = ListedColormap(["tab:blue", "tab:orange", "tab:green"])  # class 0, 1, 2
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.5), layout="constrained")
    for ax, (name, model, Xd, yd) in zip(
        axes,
        [
            ("XOR, 2-4-1 tanh", xor_net, X_xor, y_xor),
            (
                f"moons, 2-16-16-1 ReLU: val acc {moons_acc:.2f}",
                moons_net,
                X_val,
                y_val,
            ),
            (f"spiral, 2-64-64-3 ReLU: acc {spiral_acc:.2f}", spiral_net, Xs, ys),
        ],
    ):
        lo, hi = Xd.min(0) - 0.5, Xd.max(0) + 0.5
        g1, g2 = np.meshgrid(
            np.linspace(lo[0], hi[0], 200), np.linspace(lo[1], hi[1], 200)
        )
        regions = predict(model, np.c_[g1.ravel(), g2.ravel()].astype(Xd.dtype))
        # background: the predicted class; dots: the true class
        style = {"cmap": colours, "vmin": 0, "vmax": 2}
        ax.contourf(
            g1,
            g2,
            regions.reshape(g1.shape),
            alpha=0.25,
            levels=[-0.5, 0.5, 1.5, 2.5],
            **style,
        )
        ax.scatter(
            Xd[:, 0],
            Xd[:, 1],
            c=yd,
            s=12 if len(Xd) > 4 else 150,
            edgecolors="k",
            linewidths=0.4,
            **style,
        )
        ax.set(title=name, xlabel="x₁", ylabel="x₂")
    _common.save(fig, out / "decision_boundaries.png")
    viz.plot_history(moons_history, out / "moons_history.png", title="two moons")
    print(f"  wrote {out / 'moons_history.png'}")
_common.picture(lambda p: viz.draw_mlp(xor_net, p), out / "xor_network.svg")

# ---- the stated result ----
_common.check(xor_acc == 1.0, f"the 2-4-1 MLP solves XOR (accuracy {xor_acc:.2f})")
_common.check(
    moons_acc >= 0.95, f"two moons: validation accuracy {moons_acc:.3f} ≥ 0.95"
)
_common.check(spiral_acc >= 0.9, f"spiral: training accuracy {spiral_acc:.3f} ≥ 0.9")
_common.check(
    moons_history.loss[-1] < moons_history.loss[0], "the moons training loss fell"
)
_common.done(
    f"XOR accuracy {xor_acc:.2f}; moons val accuracy {moons_acc:.3f}; "
    f"spiral accuracy {spiral_acc:.3f}"
)

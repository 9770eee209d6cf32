"""Optimizers: the lecture's learning-rate test, momentum, Nesterov, Adam, RMSprop.

Lecture, "Optimizers":

    E(w) = (1/m) Σᵢ (wᵀXᵢ − yᵢ)²            (mean squared error of a mini-batch of m)
    Δw = −α ∂E/∂w,   w ← w + Δw           (SGD, learning rate α)

    Practical test:  lr_val = [1, 0.1, 0.01], momentum_val = 0,
                     nesterov_val = False, decay_val = 1e-6

``optim.SGD`` takes exactly those (classic Keras) hyper-parameters; ``decay`` is
time-based: α_t = α / (1 + decay·t). Then the same problem with momentum
(v ← μv − α∂E/∂w, w ← w + v), Nesterov, Adam and RMSprop. Finally a 2-D loss
surface with two minima: where an optimizer ends depends on the optimizer and the
start ("watch out for local minimal areas").

Run:  python examples/06_optimizers.py [--quick] [--out DIR]
"""

from __future__ import annotations

import _common
import numpy as np

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import nn, optim, train
from tinygrad_edu.data import DataLoader, datasets

args, out = _common.setup("06_optimizers", __doc__.splitlines()[0])
tg.manual_seed(0)

# ---- the problem: linear regression whose features have very different scales ----
# Feature scales 2.5, 1, 0.3 make E a long narrow valley (curvatures 2·6.25 = 12.5 to
# 2·0.09 = 0.18): a step small enough for the steep direction is slow in the flat one.
X, y = datasets.linear_regression(n=512, n_features=3, noise=0.3, seed=0)
X = X * np.array([2.5, 1.0, 0.3], dtype=X.dtype)
y = y.reshape(-1, 1)
noise_floor = 0.3**2  # the best achievable E: the noise variance
per_epoch = 512 // 32  # mini-batch steps per epoch
epochs = 8 if args.quick else 30


def run(make_optimizer):
    """Train a fresh nn.Linear(3, 1) from the same start.

    Returns the loss of every step, whether it diverged, and E on all the data.
    """
    tg.manual_seed(1)  # same initial weights and the same mini-batches for every run
    model = nn.Linear(3, 1)
    loader = DataLoader(X, y, batch_size=32, shuffle=True)
    opt = make_optimizer(model.parameters())
    steps = []

    def loss_fn(pred, target):  # E of the mini-batch, recorded at every step
        loss = F.mse_loss(pred, target)
        steps.append(loss.item())
        return loss

    try:
        # at lr 1 the weights overflow: NumPy would warn, fit raises FloatingPointError
        with np.errstate(over="ignore", invalid="ignore"):
            train.fit(model, loss_fn, opt, loader, epochs=epochs, progress=False)
    except FloatingPointError:  # fit stops as soon as the loss is inf/NaN
        return np.array(steps), True, np.inf
    with tg.no_grad():
        full = F.mse_loss(model(tg.Tensor(X)), y).item()
    return np.array(steps), False, full


# ---- 1. the practical test: three learning rates ----
print("1. SGD, momentum 0, nesterov False, decay 1e-6:")
lr_runs = {}
for lr in (1.0, 0.1, 0.01):
    losses, diverged, full = run(
        lambda p, lr=lr: optim.SGD(p, lr=lr, momentum=0.0, nesterov=False, decay=1e-6)
    )
    lr_runs[lr] = (losses, diverged, full)
    verdict = (
        f"DIVERGED: the loss became {losses[-1]} at step {len(losses)}"
        if diverged
        else f"loss {losses[0]:.4g} at the first step; at the end E = {full:.4g} on all data"
    )
    print(f"   lr = {lr:<5}: {verdict}")

# ---- 2. momentum, Nesterov, Adam, RMSprop at the same small rate ----
print("2. the same problem, lr 0.01, other optimizers:")
optimizers = {
    "SGD": lambda p: optim.SGD(p, lr=0.01, decay=1e-6),
    "SGD + momentum 0.9": lambda p: optim.SGD(p, lr=0.01, momentum=0.9, decay=1e-6),
    "SGD + Nesterov 0.9": lambda p: optim.SGD(
        p, lr=0.01, momentum=0.9, nesterov=True, decay=1e-6
    ),
    "Adam": lambda p: optim.Adam(p, lr=0.01),
    "RMSprop": lambda p: optim.RMSprop(p, lr=0.01),
}
opt_runs, final_opt = {}, {}
for name, make in optimizers.items():
    opt_runs[name], _, final_opt[name] = run(make)
    print(
        f"   {name:<19}: at the end E = {final_opt[name]:.4g} on all data "
        f"(noise floor {noise_floor:.3g})"
    )


# ---- 3. a 2-D loss surface with a local and a global minimum ----
def surface(x, y):
    """(x² − 1)² + y²/2 + 0.3x: minima near x = −1 (global) and x = +1 (local)."""
    return (x**2 - 1) ** 2 + 0.5 * y**2 + 0.3 * x


surface_optimizers = {
    "SGD": lambda p: optim.SGD(p, lr=0.02),
    "momentum 0.9": lambda p: optim.SGD(p, lr=0.02, momentum=0.9),
    "Nesterov 0.9": lambda p: optim.SGD(p, lr=0.02, momentum=0.9, nesterov=True),
    "Adam": lambda p: optim.Adam(p, lr=0.1),
    "RMSprop": lambda p: optim.RMSprop(p, lr=0.05),
}
start = np.array([2.0, 1.0])
paths, ends = {}, {}
print("3. a 2-D surface with two minima, every optimizer from", start.tolist())
for name, make in surface_optimizers.items():
    p = nn.Parameter(start.copy())  # float64: a NumPy array keeps its dtype
    opt = make([p])
    path = [p.numpy().copy()]
    for _ in range(500):
        opt.zero_grad()
        loss = surface(p[0], p[1])
        loss.backward()
        opt.step()
        path.append(p.numpy().copy())
    paths[name] = np.array(path)
    gnorm = float(np.linalg.norm(p.grad.numpy()))
    ends[name] = (
        "global" if p.numpy()[0] < 0 else "local",
        float(surface(*p.numpy())),
        gnorm,
    )
    print(
        f"   {name:<13}: ends at ({p.numpy()[0]:+.3f}, {p.numpy()[1]:+.3f}), "
        f"E = {ends[name][1]:+.4f}, |∇E| = {gnorm:.1e} → {ends[name][0]} minimum"
    )
print(
    "   warning: a zero gradient does not mean the best w; the start and the "
    "optimizer decide which valley you end in"
)

# ---- pictures ----
plt = _common.pyplot()
if plt is not None:
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.2), layout="constrained")
    for lr, (losses, diverged, _) in lr_runs.items():
        shown = np.minimum(losses, 1e6)  # draw divergence as a jump to the top
        axes[0].semilogy(
            np.arange(1, len(losses) + 1) / per_epoch,
            shown,
            label=f"lr={lr}" + (" (diverged)" if diverged else ""),
        )
    axes[0].axhline(noise_floor, color="k", ls=":", label="noise floor")
    axes[0].set(
        xlabel="epoch",
        ylabel="mini-batch loss E (capped at 1e6)",
        title="SGD: three learning rates",
    )
    axes[0].legend()
    for name, losses in opt_runs.items():
        axes[1].semilogy(
            np.arange(1, len(losses) + 1) / per_epoch, losses, lw=1, label=name
        )
    axes[1].axhline(noise_floor, color="k", ls=":")
    axes[1].set(xlabel="epoch", title="optimizers at lr 0.01")
    axes[1].legend(fontsize=8)
    gx, gy = np.meshgrid(np.linspace(-1.8, 2.2, 200), np.linspace(-1.6, 1.6, 160))
    cs = axes[2].contourf(
        gx,
        gy,
        surface(gx, gy),
        levels=np.linspace(-0.35, 3, 28),
        cmap="viridis",
        extend="max",
    )
    fig.colorbar(cs, ax=axes[2], label="E")
    for name, path in paths.items():
        axes[2].plot(path[:, 0], path[:, 1], ".-", ms=2, lw=1, label=name)
    axes[2].plot(*start, "w*", ms=12)
    axes[2].set(
        xlabel="w₁",
        ylabel="w₂",
        title="loss surface: local (right) and global (left) minimum",
    )
    axes[2].legend(fontsize=8, loc="lower left")
    _common.save(fig, out / "optimizers.png")

# ---- the stated result ----
l1, l01, l001 = lr_runs[1.0], lr_runs[0.1], lr_runs[0.01]
_common.check(l1[1] or l1[0][-1] > l1[0][0], "lr = 1 diverges")
final = {lr: full for lr, (_, _, full) in lr_runs.items()}
_common.check(
    not l01[1] and final[0.1] < 2 * noise_floor,
    f"lr = 0.1 converges to the noise floor (loss {final[0.1]:.4f})",
)
_common.check(
    not l001[1] and l001[0][-1] < l001[0][0] and final[0.01] > final[0.1],
    f"lr = 0.01 converges, more slowly ({final[0.01]:.4f} > {final[0.1]:.4f})",
)
for name in ("SGD + momentum 0.9", "SGD + Nesterov 0.9"):
    _common.check(
        final_opt[name] < final_opt["SGD"],
        f"{name} ends lower than plain SGD at the same lr",
    )
_common.check(
    ends["SGD"][0] == "local" and ends["SGD"][2] < 1e-3,
    "plain SGD stops in the local minimum (gradient ≈ 0, E not the lowest)",
)
_common.check(
    ends["momentum 0.9"][0] == "global", "momentum carries over into the global minimum"
)
_common.done(
    f"lr 1 diverges, lr 0.1 converges (loss {final[0.1]:.4f}), lr 0.01 slower "
    f"({final[0.01]:.4f}); momentum {final_opt['SGD + momentum 0.9']:.4f} < "
    f"SGD {final_opt['SGD']:.4f}; SGD stuck in the local minimum"
)

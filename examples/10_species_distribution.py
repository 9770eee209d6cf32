"""A species distribution model: presence/absence from environmental covariates.

The lecture comes from a spatial ecology course, so here is its kind of problem. On a
generated landscape:

    elevation    a few hills
    temperature  cooler to the north and uphill (a lapse rate of 6.5 °C per km)
    rainfall     wetter to the east and on the hills

A species lives in a *niche*: it is most likely present at a middling temperature
and rainfall, and less likely the further from them (a bell shape, not a slope):

    logit P(present) = 2 − ((T − 14)/2.5)² − ((R − 1100)/250)²

Surveys at random sites record presence (1) or absence (0). Two models of
P(present | T, R, elevation):

    logistic regression   P = σ(wᵀx + w₀)              (one Linear layer: a slope)
    MLP                   P = σ(w³ σ(w² x + b²) + b³)  (hidden layers: can bend)

Logistic regression can only say "more is better" (or worse) along each covariate;
the MLP learns the hump. Both are scored on held-out sites (AUC: the chance that a
random presence site gets a higher score than a random absence site) and mapped
as habitat suitability over the whole landscape.

Run:  python examples/10_species_distribution.py [--quick] [--out DIR]
"""

from __future__ import annotations

import _common
import numpy as np

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import nn, optim, train, viz
from tinygrad_edu.data import DataLoader

args, out = _common.setup("10_species_distribution", __doc__.splitlines()[0])
tg.manual_seed(0)
rng = np.random.default_rng(0)  # the landscape and the surveys

# ---- the landscape: a grid of cells, x = east, y = north, in km ----
side = 50 if args.quick else 100
gx, gy = np.meshgrid(np.linspace(0, 50, side), np.linspace(0, 50, side))
elevation = np.zeros_like(gx)  # km
for cx, cy, height, width in zip(
    rng.uniform(0, 50, 5),
    rng.uniform(0, 50, 5),
    rng.uniform(0.4, 1.2, 5),
    rng.uniform(5, 12, 5),
):
    elevation += height * np.exp(-((gx - cx) ** 2 + (gy - cy) ** 2) / (2 * width**2))
temperature = 22 - 0.25 * gy - 6.5 * elevation  # °C
rainfall = 600 + 16 * gx + 400 * elevation  # mm / year
niche = 2 - ((temperature - 14) / 2.5) ** 2 - ((rainfall - 1100) / 250) ** 2
suitability = 1 / (1 + np.exp(-niche))  # the true P(present) of every cell

# ---- the surveys: presence/absence at random cells ----
n_sites = 500 if args.quick else 1000
cells = rng.choice(side * side, size=n_sites, replace=False)
covariates = np.stack(
    [temperature.ravel(), rainfall.ravel(), elevation.ravel()], axis=1
)
mean, std = covariates[cells].mean(0), covariates[cells].std(0)


def standardise(c):
    """(value − mean)/std per covariate, with the survey sites' mean and std."""
    return ((c - mean) / std).astype(np.float32)


X = standardise(covariates[cells])
present = (rng.random(n_sites) < suitability.ravel()[cells]).astype(np.float32)
n_train = int(0.7 * n_sites)
X_train, y_train, X_test, y_test = (
    X[:n_train],
    present[:n_train],
    X[n_train:],
    present[n_train:],
)
print(
    f"{side}×{side} landscape; {n_sites} survey sites, species present at "
    f"{int(present.sum())}; {n_train} to train, {n_sites - n_train} held out"
)


def bce(logits, target):
    return F.binary_cross_entropy_with_logits(logits.reshape(-1), target)


def auc(scores, labels):
    """Area under the ROC curve = P(score of a presence > score of an absence)."""
    pos, neg = scores[labels == 1], scores[labels == 0]
    return float(
        (pos[:, None] > neg[None, :]).mean()
        + 0.5 * (pos[:, None] == neg[None, :]).mean()
    )


def evaluate(model):
    with tg.no_grad():
        logits = model(tg.Tensor(X_test)).numpy().ravel()
        loss = bce(tg.Tensor(logits), y_test).item()
    return auc(logits, y_test), loss, float(np.mean((logits > 0) == (y_test > 0)))


def suitability_map(model):
    """P(present) predicted for every cell of the landscape."""
    with tg.no_grad():
        return (
            model(tg.Tensor(standardise(covariates)))
            .sigmoid()
            .numpy()
            .reshape(side, side)
        )


epochs = 60 if args.quick else 150
models = {
    "logistic regression": nn.Linear(3, 1),
    "MLP 3-16-16-1": nn.MLP([3, 16, 16, 1], activation="tanh"),
}
results, maps = {}, {}
for name, model in models.items():
    opt = optim.Adam(model.parameters(), lr=0.01)
    train.fit(
        model,
        bce,
        opt,
        DataLoader(X_train, y_train, batch_size=32),
        epochs=epochs,
        progress=False,
    )
    results[name] = evaluate(model)
    maps[name] = suitability_map(model)
    corr = float(np.corrcoef(maps[name].ravel(), suitability.ravel())[0, 1])
    results[name] += (corr,)
    print(
        f"{name:>20}: held-out AUC {results[name][0]:.3f}, log loss {results[name][1]:.3f}, "
        f"accuracy {results[name][2]:.3f}; map vs true suitability: r = {corr:.3f}"
    )
lr_auc, mlp_auc = results["logistic regression"][0], results["MLP 3-16-16-1"][0]

# the best any model could do: the true probabilities as scores
true_auc = auc(suitability.ravel()[cells][n_train:], y_test)
print(
    f"{'true suitability':>20}: held-out AUC {true_auc:.3f} (the ceiling: presence is random)"
)

plt = _common.pyplot()
if plt is not None:
    fig, axes = plt.subplots(2, 3, figsize=(14, 8.5), layout="constrained")
    panels = [
        (elevation, "elevation (km)", "terrain"),
        (temperature, "temperature (°C)", "coolwarm"),
        (rainfall, "rainfall (mm/yr)", "Blues"),
        (suitability, "true habitat suitability", "viridis"),
        (
            maps["logistic regression"],
            f"logistic regression (AUC {lr_auc:.2f})",
            "viridis",
        ),
        (maps["MLP 3-16-16-1"], f"MLP (AUC {mlp_auc:.2f})", "viridis"),
    ]
    sites_x, sites_y = gx.ravel()[cells], gy.ravel()[cells]
    for ax, (field, title, cmap) in zip(axes.flat, panels):
        kw = {"vmin": 0, "vmax": 1} if cmap == "viridis" else {}
        im = ax.imshow(field, origin="lower", extent=(0, 50, 0, 50), cmap=cmap, **kw)
        fig.colorbar(im, ax=ax, shrink=0.8)
        ax.set(title=title, xlabel="east (km)", ylabel="north (km)")
    axes[1, 0].scatter(
        sites_x,
        sites_y,
        c=np.where(present > 0, "red", "white"),
        s=6,
        edgecolors="k",
        linewidths=0.2,
    )
    axes[1, 0].set_title("true suitability; surveys (red: present)")
    _common.save(fig, out / "habitat_suitability.png")
    fig, ax = plt.subplots(figsize=(5, 4))  # the niche itself, in covariate space
    ax.scatter(
        covariates[cells, 0], covariates[cells, 1], c=present, cmap="coolwarm", s=8
    )
    ax.set(
        xlabel="temperature (°C)",
        ylabel="rainfall (mm/yr)",
        title="survey sites in covariate space (red: present)",
    )
    _common.save(fig, out / "niche.png")
_common.picture(
    lambda p: viz.draw_mlp(models["MLP 3-16-16-1"], p), out / "mlp_architecture.svg"
)

# ---- the stated result ----
r_lr, r_mlp = results["logistic regression"][3], results["MLP 3-16-16-1"][3]
_common.check(
    mlp_auc >= 0.8, f"the MLP predicts held-out sites well (AUC {mlp_auc:.3f} ≥ 0.8)"
)
_common.check(
    mlp_auc > lr_auc + 0.05,
    f"the MLP beats logistic regression on held-out AUC ({mlp_auc:.3f} > {lr_auc:.3f} + 0.05)",
)
_common.check(
    r_mlp > 0.8 and r_mlp > r_lr,
    f"the MLP's map matches the true suitability better (r {r_mlp:.3f} vs {r_lr:.3f})",
)
_common.done(
    f"held-out AUC: MLP {mlp_auc:.3f} vs logistic regression {lr_auc:.3f} "
    f"(ceiling {true_auc:.3f})"
)

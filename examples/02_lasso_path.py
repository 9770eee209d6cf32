"""LASSO: as λ grows, the weights of irrelevant features become exactly zero.

Lecture, "Regularization":

    ridge:  w* = argmin Σᵢ L(f(xᵢ; w), yᵢ) + λ Σⱼ wⱼ²     (closed form; shrinks)
    LASSO:  w* = argmin Σᵢ L(f(xᵢ; w), yᵢ) + λ Σⱼ |wⱼ|     (no closed form, convex)

|wⱼ| has no derivative at 0, so LASSO is solved by *proximal* gradient descent
(ISTA): a gradient step on the squared error (the engine's backward), then the
"soft threshold" wⱼ ← sign(wⱼ)·max(|wⱼ| − αλ, 0), which sets small weights to
exactly 0. ``tinygrad_edu.linear.Lasso`` does this, with scikit-learn's scaling
(1/(2n))‖y − Xw − w₀‖² + λ‖w‖₁.

The data have 3 relevant features and 5 pure-noise ones. The check: at small λ
every weight is non-zero; as λ grows the noise features hit exactly 0 first,
while the relevant ones survive; at λ ≥ λ_max all are 0. Ridge never gives a 0.

Run:  python examples/02_lasso_path.py [--quick] [--out DIR]
"""

from __future__ import annotations

import _common
import numpy as np

import tinygrad_edu as tg
from tinygrad_edu import linear
from tinygrad_edu.data import datasets

args, out = _common.setup("02_lasso_path", __doc__.splitlines()[0])
tg.manual_seed(0)
tg.set_default_dtype(np.float64)

n, relevant, irrelevant = 100, 3, 5
X, y, w_true = datasets.linear_regression(
    n=n,
    n_features=relevant,
    n_irrelevant=irrelevant,
    coef=[3.0, -2.0, 1.5],
    noise=0.5,
    seed=1,
    return_coef=True,
)
names = [f"x{j}" + ("" if w_true[j] else " (noise)") for j in range(X.shape[1])]
print("true w =", w_true)

# Above λ_max = max_j |xⱼᵀ(y − ȳ)|/n the soft threshold wins for every j: all zero.
lam_max = np.max(np.abs((X - X.mean(0)).T @ (y - y.mean()))) / n
lams = np.geomspace(1e-3, 1.2 * lam_max, 12 if args.quick else 30)
print(
    f"λ from {lams[0]:.0e} to {lams[-1]:.2f} (λ_max = {lam_max:.2f}), {len(lams)} fits"
)

path = []
for lam in lams:
    model = linear.Lasso(alpha=lam, tol=1e-6 if args.quick else 1e-8).fit(X, y)
    path.append(model.coef_)
path = np.array(path)  # (len(lams), 8)
zeros = (path == 0.0).sum(axis=1)  # *exactly* zero, not just small

print("  λ        " + " ".join(f"{nm[:2]:>7}" for nm in names) + "   #zeros")
for lam, w, z in zip(lams, path, zeros):
    print(f"  {lam:<8.3g} " + " ".join(f"{v:7.3f}" for v in w) + f"   {z}")

# Ridge on the same grid (its λ scaled to match: ridge minimises ‖·‖² + λ‖w‖²)
ridge_path = np.array([linear.ridge(X, y, lam=2 * n * lam)[0] for lam in lams])

# ---- where does each feature leave the model? ----
# the first λ (going up) from which the weight stays exactly 0
stays_zero = np.array(
    [[np.all(path[i:, j] == 0) for j in range(X.shape[1])] for i in range(len(lams))]
)
first_zero = lams[np.argmax(stays_zero, axis=0)]
relevant_idx, noise_idx = np.flatnonzero(w_true), np.flatnonzero(w_true == 0)
separating = [
    k
    for k in range(len(lams))
    if np.all(path[k, noise_idx] == 0) and np.all(path[k, relevant_idx] != 0)
]

plt = _common.pyplot()
if plt is not None:
    # top: the whole path; bottom: zoomed on the noise features (true weight 0)
    fig, axes = plt.subplots(2, 2, figsize=(11, 7), sharex=True)
    for col, (p, title) in enumerate(
        ((path, "LASSO (proximal gradient)"), (ridge_path, "ridge (closed form)"))
    ):
        for row in (0, 1):
            ax = axes[row, col]
            for j in range(X.shape[1]):
                if row == 1 and w_true[j]:
                    continue
                ax.semilogx(
                    lams,
                    p[:, j],
                    "-" if w_true[j] else "--",
                    marker=".",
                    color=f"C{j}",
                    label=names[j],
                )
            ax.axhline(0, color="k", lw=0.5)
            if separating and col == 0:
                ax.axvspan(
                    lams[separating[0]],
                    lams[separating[-1]],
                    color="green",
                    alpha=0.1,
                    label="noise = 0, relevant ≠ 0",
                )
        axes[0, col].set_title(title)
        axes[1, col].set(
            xlabel="λ", ylim=(-0.12, 0.12), title="zoom: the noise features"
        )
    axes[0, 0].set_ylabel("coefficient wⱼ")
    axes[1, 0].set_ylabel("coefficient wⱼ (zoom)")
    axes[0, 0].legend(fontsize=7, loc="lower left")
    _common.save(fig, out / "coefficient_path.png")

# ---- the stated result ----
print(
    f"noise features reach exactly 0 at λ = {[f'{first_zero[j]:.3g}' for j in noise_idx]}"
)
print(
    f"relevant features reach exactly 0 at λ = {[f'{first_zero[j]:.3g}' for j in relevant_idx]}"
)
_common.check(zeros[0] == 0, "at the smallest λ no weight is exactly zero")
_common.check(
    bool(separating), "some λ keeps all relevant weights and zeroes all noise ones"
)
_common.check(
    max(first_zero[j] for j in noise_idx) < min(first_zero[j] for j in relevant_idx),
    "every noise feature leaves the model before any relevant one",
)
_common.check(
    np.all(np.diff(zeros) >= 0), "the number of zero weights never decreases as λ grows"
)
_common.check(zeros[-1] == X.shape[1], "above λ_max every weight is exactly zero")
_common.check(
    np.all(ridge_path != 0), "ridge shrinks but never sets a weight exactly to zero"
)
_common.done(
    f"LASSO zeroes the {irrelevant} irrelevant features exactly as λ grows "
    f"(all zero from λ={max(first_zero[j] for j in noise_idx):.3g}, relevant kept until "
    f"λ={min(first_zero[j] for j in relevant_idx):.3g})"
)

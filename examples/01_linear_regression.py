"""Linear regression two ways: gradient descent with the engine vs the normal equation.

Lecture, "Linear Regression Optimization" and "Regularization":

    f(x; w) = wᵀx + w₀                       (the model, with an offset w₀)
    L(w; D) = Σᵢ (wᵀxᵢ + w₀ − yᵢ)²           (squared error on D = {(xᵢ, yᵢ)})
    ∂L/∂w = 0   ⇒   XᵀX w = Xᵀy   ⇒   w = (XᵀX)⁻¹Xᵀy        (normal equation)
    ridge:  L + λ Σⱼ wⱼ²   ⇒   w = (λI + XᵀX)⁻¹Xᵀy           (closed form)

Gradient descent reaches the same w by stepping downhill, w ← w − α ∂L/∂w, with
∂L/∂w computed by backpropagation. The check: both ways agree to 1e-3.

Run:  python examples/01_linear_regression.py [--quick] [--out DIR]
"""

from __future__ import annotations

import _common
import numpy as np

import tinygrad_edu as tg
from tinygrad_edu import linear, nn, optim, viz
from tinygrad_edu.data import datasets

args, out = _common.setup("01_linear_regression", __doc__.splitlines()[0])
tg.manual_seed(0)
tg.set_default_dtype(np.float64)  # float64: we compare to 1e-3 and want margin

# ---- the data: y = wᵀx + w₀ + noise, with known true w and w₀ = 1 ----
n = 200
X, y, w_true = datasets.linear_regression(
    n=n, n_features=3, noise=0.5, intercept=1.0, seed=0, return_coef=True
)
print(f"true w = {np.round(w_true, 3)}, true w0 = 1.0")

# ---- 1. the normal equation, as on the slide ----
# Put the offset into X as a column of ones: x = (x₁, x₂, x₃, 1), w = (w₁, w₂, w₃, w₀).
X1 = np.hstack([X, np.ones((n, 1))])
# Never form (XᵀX)⁻¹ explicitly: solving the linear system XᵀX w = Xᵀy is cheaper and
# more accurate (lstsq goes further and works from X itself, via the SVD).
w_slide = np.linalg.solve(X1.T @ X1, X1.T @ y)
coef_closed, w0_closed = linear.normal_equation(X, y)  # the library's version
print(f"normal equation:  w = {np.round(coef_closed, 4)}, w0 = {w0_closed:.4f}")


# ---- 2. gradient descent with the engine ----
def gradient_descent(lam: float, steps: int, lr: float = 0.1):
    """Minimise (1/n)[Σᵢ (wᵀxᵢ + w₀ − yᵢ)² + λ‖w‖²] by full-batch gradient descent.

    The 1/n only rescales the loss (same minimiser), so that one lr suits any n.
    """
    w = nn.Parameter(np.zeros(3), name="w")
    w0 = nn.Parameter(0.0, name="w0")
    opt = optim.SGD([w, w0], lr=lr)
    Xt, yt = tg.Tensor(X, name="X"), tg.Tensor(y, name="y")
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        residual = Xt @ w + w0 - yt  # wᵀxᵢ + w₀ − yᵢ for every i at once
        residual.name = "residual"
        loss = ((residual**2).sum() + lam * (w**2).sum()) / n
        loss.backward()  # backpropagation fills w.grad = ∂loss/∂w, w0.grad
        opt.step()  # w ← w − α ∂loss/∂w
        losses.append(loss.item())
    return w.data.copy(), float(w0.data), losses, loss


steps = 150 if args.quick else 500
coef_gd, w0_gd, losses, _ = gradient_descent(0.0, steps)
print(f"gradient descent: w = {np.round(coef_gd, 4)}, w0 = {w0_gd:.4f} ({steps} steps)")
gap_ols = max(np.max(np.abs(coef_gd - coef_closed)), abs(w0_gd - w0_closed))
print(f"max |GD − closed form| (least squares) = {gap_ols:.2e}")

# ---- 3. ridge: closed form vs gradient descent ----
lam = 20.0
coef_ridge, w0_ridge = linear.ridge(X, y, lam)  # (λI + XᵀX)⁻¹Xᵀy on centred data
coef_rgd, w0_rgd, ridge_losses, ridge_loss = gradient_descent(lam, steps)
gap_ridge = max(np.max(np.abs(coef_rgd - coef_ridge)), abs(w0_rgd - w0_ridge))
print(
    f"ridge λ={lam:g}: closed form w = {np.round(coef_ridge, 4)}, "
    f"GD w = {np.round(coef_rgd, 4)}"
)
print(f"max |GD − closed form| (ridge) = {gap_ridge:.2e}")
print(
    f"ridge shrinks the weights: ‖w_ridge‖ = {np.linalg.norm(coef_ridge):.4f} "
    f"< ‖w_ols‖ = {np.linalg.norm(coef_closed):.4f}"
)

# ---- pictures: the loss curve, the fit, and the graph backpropagation walks ----
plt = _common.pyplot()
if plt is not None:
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.8))
    ax1.semilogy(np.array(losses) - min(losses) + 1e-16, label="least squares")
    ax1.semilogy(
        np.array(ridge_losses) - min(ridge_losses) + 1e-16, label=f"ridge λ={lam:g}"
    )
    ax1.set(
        xlabel="step", ylabel="loss − final loss", title="gradient descent converges"
    )
    ax1.legend()
    pred = X @ coef_gd + w0_gd
    ax2.scatter(y, pred, s=8)
    ax2.plot([y.min(), y.max()], [y.min(), y.max()], "k--", lw=1)
    ax2.set(xlabel="y", ylabel="wᵀx + w₀", title="fitted vs observed")
    _common.save(fig, out / "gradient_descent.png")
# the computation graph of the last ridge loss: X, y, λ constants (dashed), w and w0
# the leaves whose .grad backward fills (yellow); backward runs the ops right to left
_common.picture(lambda p: viz.render(ridge_loss, p), out / "ridge_loss_graph.svg")

# ---- the stated result ----
print(
    f"closed-form vs gradient-descent max difference: ols {gap_ols:.2e}, ridge {gap_ridge:.2e}"
)
_common.check(
    np.allclose(w_slide, np.r_[coef_closed, w0_closed], atol=1e-10),
    "slide formula (XᵀX)⁻¹Xᵀy equals linear.normal_equation",
)
_common.check(
    gap_ols < 1e-3,
    f"least squares: GD within 1e-3 of the normal equation ({gap_ols:.1e})",
)
_common.check(
    gap_ridge < 1e-3, f"ridge: GD within 1e-3 of (λI + XᵀX)⁻¹Xᵀy ({gap_ridge:.1e})"
)
_common.check(
    np.max(np.abs(coef_closed - w_true)) < 0.2, "the fit recovers the true weights"
)
_common.done(
    f"closed-form and GD weights within 1e-3 (ols {gap_ols:.1e}, ridge {gap_ridge:.1e})"
)

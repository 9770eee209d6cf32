# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 1. Linear regression: the closed form, ridge and LASSO
#
# The lecture starts before neural nets, with the model every later part builds
# on: a line (a plane, a hyperplane) through the data,
#
# $$f(\mathbf{x}; \mathbf{w}) = \mathbf{w}^T\mathbf{x} + w_0 ,$$
#
# fitted by minimising the squared error $L(\mathbf{w}) = \sum_i
# (\mathbf{w}^T\mathbf{x}_i + w_0 - y_i)^2$. Setting the derivative to zero gives
# the *normal equation* $X^TX\mathbf{w} = X^T\mathbf{y}$. In this notebook we solve
# it, reach the same answer by gradient descent with the engine, and then add the
# two penalties of the lecture: ridge (L2, still a closed form) and LASSO (L1, no
# closed form, but convex).

# %%
import numpy as np

import tinygrad_edu as tg
from tinygrad_edu import linear, nn, optim
from tinygrad_edu.data import datasets

tg.manual_seed(0)
tg.set_default_dtype(np.float64)  # we compare to 1e-3 and want a margin

X, y, w_true = datasets.linear_regression(
    n=200, n_features=3, noise=0.5, intercept=1.0, seed=0, return_coef=True
)
X.shape, w_true

# %% [markdown]
# ## The normal equation
#
# Put the offset into $X$ as a column of ones, so that $w_0$ is one more weight,
# and *solve* $X^TX\mathbf{w} = X^T\mathbf{y}$ (forming the inverse
# $(X^TX)^{-1}$ is slower and less accurate). The library's
# `linear.normal_equation` does the same and returns `(coef, intercept)`.

# %%
X1 = np.hstack([X, np.ones((len(X), 1))])
w_slide = np.linalg.solve(X1.T @ X1, X1.T @ y)
coef, intercept = linear.normal_equation(X, y)
assert np.allclose(w_slide[:3], coef) and np.isclose(w_slide[3], intercept)
assert np.allclose(coef, w_true, atol=0.1)  # close to the truth: noise is small
coef, intercept

# %% [markdown]
# ## The same answer by gradient descent
#
# Gradient descent does not solve anything: it steps downhill,
# $\mathbf{w} \leftarrow \mathbf{w} - \alpha\,\partial L/\partial\mathbf{w}$, with
# the derivative computed by backpropagation (`loss.backward()`). We divide the
# loss by $n$ (same minimiser) so that one learning rate suits any data size.

# %%
w = nn.Parameter(np.zeros(3), name="w")
w0 = nn.Parameter(0.0, name="w0")
opt = optim.SGD([w, w0], lr=0.1)
Xt, yt = tg.Tensor(X), tg.Tensor(y)
for step in range(300):
    opt.zero_grad()
    loss = ((Xt @ w + w0 - yt) ** 2).mean()
    loss.backward()
    opt.step()
assert np.allclose(w.data, coef, atol=1e-3) and abs(w0.item() - intercept) < 1e-3
print(f"gradient descent: w = {np.round(w.data, 4)}, w0 = {w0.item():.4f}")

# %% [markdown]
# ## Ridge: an L2 penalty
#
# Adding $\lambda\sum_j w_j^2$ keeps a closed form,
# $\mathbf{w}^* = (\lambda I + X^TX)^{-1}X^T\mathbf{y}$ (the intercept is not
# penalised). The penalty prefers to share smaller weights: every coefficient
# shrinks towards zero as $\lambda$ grows, but none becomes exactly zero.

# %%
lams = (0.0, 10.0, 100.0, 1000.0)
norms = [np.linalg.norm(linear.ridge(X, y, lam)[0]) for lam in lams]
assert all(a > b for a, b in zip(norms, norms[1:]))  # shrinks as λ grows
assert np.all(linear.ridge(X, y, 1000.0)[0] != 0)  # but never exactly 0
np.round(norms, 3)

# %% [markdown]
# ## LASSO: an L1 penalty
#
# With $\lambda\sum_j |w_j|$ there is no closed form, but the problem is still
# convex. `linear.Lasso` solves it by proximal gradient descent: a gradient step on
# the squared error, then the *soft threshold*, which sets small weights to
# exactly zero. On data with five irrelevant features, LASSO removes them.

# %%
X, y, w_true = datasets.linear_regression(
    n=100, n_features=3, n_irrelevant=5, coef=[3.0, -2.0, 1.5], noise=0.5, seed=1,
    return_coef=True,
)
lasso = linear.Lasso(alpha=0.3).fit(X, y)
print("true  ", w_true)
print("LASSO ", np.round(lasso.coef_, 3))
assert np.all(lasso.coef_[3:] == 0.0)  # the irrelevant features: exactly zero
assert np.all(lasso.coef_[:3] != 0.0)  # the relevant ones stay
assert np.all(linear.ridge(X, y, 30.0)[0] != 0.0)  # ridge keeps every feature

# %%
tg.set_default_dtype(np.float32)  # back to the default for what follows

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
# # 4. Gradient descent: learning rate, momentum, decay
#
# Gradient descent takes a step against the gradient of the error,
# $\Delta w = -\alpha\,\partial E/\partial w$, with $E$ the mean squared error
# over a mini-batch (stochastic gradient descent, SGD). The step size $\alpha$ is
# the *learning rate*. The lecture's practical test: SGD with
# `lr_val = [1; 0.1; 0.01]`, `momentum_val = 0`, `nesterov_val = False`,
# `decay_val = 1e-6`. Too large a rate diverges; too small a rate crawls.

# %%
import numpy as np

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import nn, optim, train
from tinygrad_edu.data import DataLoader, datasets

tg.manual_seed(0)
# a long narrow valley: feature scales 2.5, 1 and 0.3 give very different curvatures
X, y = datasets.linear_regression(n=512, n_features=3, noise=0.3, seed=0)
X = X * np.array([2.5, 1.0, 0.3], dtype=X.dtype)
y = y.reshape(-1, 1)


def run(make_optimizer, epochs=15):
    """Train a fresh Linear(3, 1) from the same start; E on all the data (inf if the
    run diverged)."""
    tg.manual_seed(1)  # same weights, same mini-batches for every run
    model = nn.Linear(3, 1)
    loader = DataLoader(X, y, batch_size=32)
    try:
        with np.errstate(over="ignore", invalid="ignore"):
            train.fit(model, F.mse_loss, make_optimizer(model.parameters()), loader,
                      epochs=epochs, progress=False)
    except FloatingPointError:  # fit stops as soon as the loss is inf or NaN
        return np.inf
    with tg.no_grad():
        return F.mse_loss(model(tg.Tensor(X)), y).item()


# %% [markdown]
# ## The practical test: three learning rates

# %%
E = {lr: run(lambda p, lr=lr: optim.SGD(p, lr=lr, momentum=0.0, nesterov=False,
                                        decay=1e-6))
     for lr in (1.0, 0.1, 0.01)}
print(E)
assert E[1.0] == np.inf  # lr 1 overshoots the steep direction: diverges
assert E[0.1] < 0.1  # near the noise floor 0.3² = 0.09
assert E[0.01] > E[0.1]  # converges, but more slowly

# %% [markdown]
# ## Momentum
#
# Momentum keeps a velocity, $v \leftarrow \mu v - \alpha g$, $w \leftarrow w + v$:
# steps along the floor of the valley add up, steps across it cancel. At the slow
# rate 0.01, momentum 0.9 gets much further in the same number of steps; Nesterov's
# variant looks ahead along $v$ before taking the gradient.

# %%
plain = run(lambda p: optim.SGD(p, lr=0.01))
momentum = run(lambda p: optim.SGD(p, lr=0.01, momentum=0.9))
nesterov = run(lambda p: optim.SGD(p, lr=0.01, momentum=0.9, nesterov=True))
print(f"plain {plain:.4f}, momentum {momentum:.4f}, Nesterov {nesterov:.4f}")
assert momentum < plain and nesterov < plain

# %% [markdown]
# ## Decay
#
# `decay` shrinks the rate over time, $\alpha_t = \alpha / (1 + \text{decay}\cdot
# t)$ after $t$ steps: large steps early, small ones near the minimum.
# `opt.current_lr` is the rate the next step uses.

# %%
w = nn.Parameter(np.array([1.0]))
opt = optim.SGD([w], lr=0.5, decay=0.1)
for t in range(10):
    w.grad = tg.Tensor(np.array([0.0]))
    opt.step()
assert np.isclose(opt.current_lr, 0.5 / (1 + 0.1 * 10))
opt.current_lr

# %% [markdown]
# ## Watching a run
#
# `train.fit` returns a `History` (one value per epoch, as in Keras) and shows a
# progress bar while it runs; `viz.plot_history` draws the curves — in a notebook
# they appear below the cell, no `%matplotlib inline` needed.

# %%
from tinygrad_edu import viz

tg.manual_seed(1)
model = nn.Linear(3, 1)
history = train.fit(model, F.mse_loss, optim.SGD(model.parameters(), lr=0.1),
                    DataLoader(X, y, batch_size=32), epochs=10)
assert history.loss[-1] < history.loss[0]
viz.plot_history(history)

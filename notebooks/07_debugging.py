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
# # 7. Debugging a neural network
#
# When a network does not learn, the lecture asks: should we change the learning
# rate? initialise differently? get more data? change the architecture? train
# longer? are the features relevant? Debugging is an art, but each question can be
# put to the data. Here we break a network on purpose, twice, and let the tools
# find out why.

# %%
import numpy as np

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import debug, nn, optim, train
from tinygrad_edu.data import DataLoader, datasets

tg.manual_seed(0)
Xm, ym = datasets.moons(n=400, noise=0.15, seed=0)
ym = ym.astype(np.float32)
n = int(0.7 * len(Xm))
(Xtr, ytr), (Xv, yv) = (Xm[:n], ym[:n]), (Xm[n:], ym[n:])


def bce(logits, target):
    return F.binary_cross_entropy_with_logits(logits.reshape(-1), target.reshape(-1))


def accuracy(model):
    with tg.no_grad():
        return float(np.mean((model(tg.Tensor(Xv)).numpy().ravel() > 0) == (yv > 0)))


def fit(model, lr, epochs=30):
    opt = optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    train.fit(model, bce, opt, DataLoader(Xtr, ytr, batch_size=32), epochs=epochs,
              progress=False)
    return accuracy(model)


# %% [markdown]
# ## First: can it overfit one batch?
#
# A network with enough capacity memorises a handful of samples. If it cannot, the
# bug comes before any question of generalisation (shapes, a missing step, a
# wrong loss).

# %%
model = nn.MLP([2, 16, 16, 1])
report = debug.overfit_one_batch(model, bce, optim.SGD(model.parameters(), lr=0.1,
                                                       momentum=0.9),
                                 Xtr[:8], ytr[:8], steps=300)
assert report.ok
report

# %% [markdown]
# ## Dead ReLUs from a bad initialisation
#
# Biases of −5 make every ReLU input negative: the units output 0, their gradient
# is 0, and nothing learns. `activation_stats` counts the dead units and
# `gradient_stats` shows the zero gradients behind them.

# %%
model = nn.MLP([2, 16, 16, 1])
with tg.no_grad():
    for layer in model.linears:
        layer.bias.data[...] = -5.0
stats = debug.activation_stats(model, tg.Tensor(Xtr))
print(stats)
dead = [row["dead"] for row in stats.values() if row.get("dead") is not None]
assert dead and max(dead) == 1.0  # a whole layer of dead units
broken = fit(model, 0.1)

# %% [markdown]
# The fix: Kaiming (He) initialisation for ReLU layers, zero biases.

# %%
for layer in model.linears:
    nn.init.kaiming_uniform_(layer.weight, nonlinearity="relu")
    nn.init.zeros_(layer.bias)
fixed = fit(model, 0.1)
print(f"validation accuracy: broken {broken:.2f}, fixed {fixed:.2f}")
assert fixed >= 0.9 and fixed > broken

# %% [markdown]
# ## Which learning rate?
#
# The learning-rate range test (`lr_find`) tries growing rates, one mini-batch
# each, and suggests where the loss falls fastest. Its result shows compactly, and
# `.plot()` draws the curve inline.

# %%
tg.manual_seed(0)
model = nn.MLP([2, 16, 16, 1])
finder = debug.lr_find(model, bce, DataLoader(Xtr, ytr, batch_size=32),
                       optimizer=lambda p: optim.SGD(p, lr=1e-6, momentum=0.9))
assert 1e-4 < finder.suggested_lr < 10
finder.plot()

# %% [markdown]
# ## The gradient check
#
# Last, whether backpropagation itself is right: `check_model_gradients` compares
# the engine's gradients with central differences on a sample of parameters.

# %%
x16, y16 = tg.Tensor(Xtr[:16]), tg.Tensor(ytr[:16])
check = debug.check_model_gradients(model, bce, x16, y16)
assert check.ok
check

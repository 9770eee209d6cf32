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
# # 6. Training with mini-batches
#
# How training works, in the lecture's four steps:
#
# 1. in each *epoch*, shuffle the training data;
# 2. cut it into *mini-batches*;
# 3. for each mini-batch take one step of gradient descent, with the gradients
#    from backpropagation;
# 4. train for several epochs.
#
# `DataLoader` does steps 1–2, `train.fit` steps 3–4 (and shows a progress bar).

# %%
import numpy as np

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import nn, optim, train, viz
from tinygrad_edu.data import DataLoader, datasets

tg.manual_seed(0)

# %% [markdown]
# ## Every sample once per epoch, in a new order each time

# %%
X = np.arange(10, dtype=np.float32).reshape(-1, 1)
loader = DataLoader(X, X.ravel(), batch_size=4, seed=0)
epochs = [np.concatenate([xb.numpy().ravel() for xb, _ in loader]) for _ in range(2)]
assert all(sorted(e) == list(range(10)) for e in epochs)  # each sample exactly once
assert not np.array_equal(epochs[0], epochs[1])  # reshuffled
[len(xb) for xb, _ in loader]  # the last batch is smaller (drop_last=False)

# %% [markdown]
# ## Two moons, with a validation set
#
# A 2-16-16-1 network on two interleaving half circles; 70% of the points to train
# on, the rest to check that it generalises.

# %%
Xm, ym = datasets.moons(n=400, noise=0.15, seed=0)
ym = ym.astype(np.float32).reshape(-1, 1)
n = int(0.7 * len(Xm))
train_loader = DataLoader(Xm[:n], ym[:n], batch_size=32)
val_loader = DataLoader(Xm[n:], ym[n:], batch_size=128, shuffle=False)
model = nn.MLP([2, 16, 16, 1], activation="relu")
opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
history = train.fit(model, F.binary_cross_entropy_with_logits, opt, train_loader,
                    epochs=40, val_loader=val_loader, metrics=["accuracy"])
assert history.val_accuracy[-1] >= 0.95
history

# %% [markdown]
# The curves (training and validation on the same axes):

# %%
viz.plot_history(history)

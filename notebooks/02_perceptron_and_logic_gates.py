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
# # 2. The perceptron and logic gates
#
# A perceptron computes a weighted sum of its inputs and thresholds it:
# $\hat y = \operatorname{sign}(\mathbf{w}^T\mathbf{x} + b)$. Its loss is zero
# for a correct answer and $-y\,\mathbf{w}^T\mathbf{x}$ for a wrong one, so a
# mistake moves the weights towards the right side. The lecture's point: a
# perceptron can be a NAND gate, NAND gates can build any circuit, so perceptrons
# are universal for computation — but a *single* perceptron cannot compute XOR.

# %%
import numpy as np

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import nn
from tinygrad_edu.data import datasets

tg.manual_seed(0)

# %% [markdown]
# ## Learning AND, OR and NAND
#
# `logic_gate(..., signed=True)` gives the four input pairs and labels in
# $\{-1, +1\}$. The perceptron rule goes over the data and corrects every
# mistake; on separable data it is guaranteed to stop making them.

# %%
gates = {}
for gate in ("and", "or", "nand"):
    X, y = datasets.logic_gate(gate, signed=True)
    p = nn.Perceptron(2)
    mistakes = p.fit_perceptron_rule(X, y, epochs=100)
    accuracy = float(np.mean(p.predict(X).numpy() == y))
    gates[gate] = p
    print(f"{gate:>4}: w = {np.round(p.weight.numpy(), 2)}, b = {p.bias.item():+.2f}, "
          f"accuracy {accuracy}, mistakes in the last epoch: {mistakes[-1]}")
    assert accuracy == 1.0 and mistakes[-1] == 0

# %% [markdown]
# ## XOR from four NAND perceptrons
#
# XOR is not linearly separable: no line puts (0,1) and (1,0) on one side and
# (0,0) and (1,1) on the other. A circuit of NAND gates computes it anyway:
# $m = \mathrm{NAND}(a, b)$, then $\mathrm{NAND}(\mathrm{NAND}(a, m),
# \mathrm{NAND}(b, m))$. We reuse the learned NAND perceptron with a step
# (`heaviside`) so that it outputs 0 or 1.

# %%
nand = gates["nand"]


def NAND(a, b):
    return F.heaviside(nand(tg.stack([a, b])))


def XOR(a, b):
    m = NAND(a, b)
    return NAND(NAND(a, m), NAND(b, m))


X, y_xor = datasets.logic_gate("xor")
circuit = np.array([XOR(tg.Tensor(a), tg.Tensor(b)).item() for a, b in X])
assert np.array_equal(circuit, y_xor)
circuit

# %% [markdown]
# ## One perceptron on XOR never stops making mistakes

# %%
X, y = datasets.logic_gate("xor", signed=True)
single = nn.Perceptron(2)
mistakes = single.fit_perceptron_rule(X, y, epochs=200)
assert min(mistakes) > 0  # not a single epoch without a mistake
print(f"mistakes per epoch: between {min(mistakes)} and {max(mistakes)}")

# %% [markdown]
# The way out is to stack perceptrons into layers with a smooth activation in
# between — the multi-layer perceptron of notebook 5. First, the activations.

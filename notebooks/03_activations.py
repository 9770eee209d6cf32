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
# # 3. Activation functions
#
# Between layers a network applies a nonlinearity; without one, layers of linear
# maps collapse into a single linear map. The lecture lists sigmoid
# $\sigma(x) = 1/(1+e^{-x})$, $\tanh$, ReLU $\max(0, x)$, Leaky ReLU
# $\max(0.1x, x)$, ELU and Maxout. Backpropagation needs each one's derivative;
# here autograd computes them, and we check them against the textbook formulas.

# %%
import numpy as np

import tinygrad_edu as tg
from tinygrad_edu import nn, viz

tg.manual_seed(0)
z = np.linspace(-4, 4, 81)


def value_and_derivative(activation):
    x = tg.Tensor(z, requires_grad=True)
    y = activation(x)
    y.sum().backward()  # d(Σ y)/dx_i = f'(x_i): each output depends on one input
    return y.numpy(), x.grad.numpy()


# %% [markdown]
# ## Autograd against the formulas

# %%
sig = 1 / (1 + np.exp(-z))
formulas = {
    "sigmoid": (lambda x: x.sigmoid(), sig, sig * (1 - sig)),
    "tanh": (lambda x: x.tanh(), np.tanh(z), 1 - np.tanh(z) ** 2),
    "relu": (lambda x: x.relu(), np.maximum(0, z), (z > 0).astype(float)),
    "leaky_relu(0.1)": (lambda x: x.leaky_relu(0.1), np.maximum(0.1 * z, z),
                        np.where(z > 0, 1.0, 0.1)),
    "elu": (lambda x: x.elu(1.0), np.where(z >= 0, z, np.exp(z) - 1),
            np.where(z >= 0, 1.0, np.exp(z))),
}
for name, (activation, f, df) in formulas.items():
    value, derivative = value_and_derivative(activation)
    assert np.allclose(value, f, atol=1e-5), name
    assert np.allclose(derivative, df, atol=1e-5), name
    print(f"{name:>16}: values and derivatives match the formulas")

# %% [markdown]
# Note the sigmoid's derivative: at most 0.25, and almost 0 for $|x| > 4$. A deep
# stack of saturated sigmoids multiplies many such small numbers — the vanishing
# gradient that made ReLU popular.

# %%
assert np.max(sig * (1 - sig)) <= 0.25

# %% [markdown]
# ## Maxout
#
# Maxout learns its activation: $\max(\mathbf{w}_1^T\mathbf{x} + b_1,
# \mathbf{w}_2^T\mathbf{x} + b_2)$, the largest of a few linear pieces.

# %%
maxout = nn.Maxout(1, 1, pieces=2)
x = tg.Tensor(z.reshape(-1, 1).astype(np.float32))
weights, biases = maxout.weight.numpy(), maxout.bias.numpy()  # one row per piece
pieces = [x.numpy() @ w.T + b for w, b in zip(weights, biases)]
assert np.allclose(maxout(x).numpy(), np.maximum(*pieces), atol=1e-5)

# %% [markdown]
# The graph of one activation applied to a scalar, with the local derivative on
# its edge (the number backpropagation multiplies by):

# %%
t = tg.Tensor(0.5, requires_grad=True, name="x")
out = t.tanh()
out.name = "tanh(x)"
assert "∂=0.7864" in viz.to_dot(out)  # 1 - tanh(0.5)²
viz.draw_graph(out)

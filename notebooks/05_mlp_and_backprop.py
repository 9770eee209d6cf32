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
# # 5. The multi-layer perceptron and backpropagation
#
# Stack layers: the output of one is the input of the next (a *feedforward*
# network). With weights as matrices, one layer is $a' = \sigma(wa + b)$. Such a
# network solves XOR, which one perceptron could not. It is trained by gradient
# descent, and its gradients come from *backpropagation*: the lecture's four
# equations, which we write out in NumPy here and check against the engine.

# %%
import numpy as np

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import debug, nn, optim, viz
from tinygrad_edu.data import datasets

tg.manual_seed(0)
tg.set_default_dtype(np.float64)  # to compare the hand-written gradients to 1e-10
X, y = datasets.logic_gate("xor")
Y = y.reshape(-1, 1)
mlp = nn.MLP([2, 3, 1], activation="sigmoid", output_activation="sigmoid")
mlp

# %% [markdown]
# ## The four equations, by hand
#
# With $z^l = w^l a^{l-1} + b^l$, $a^l = \sigma(z^l)$ and the cost
# $C = \frac{1}{N}\sum (a^L - y)^2$ (rows are samples, so the products are
# transposed):
#
# 1. output error $\delta^L = \nabla_a C \odot \sigma'(z^L)$;
# 2. backpropagate $\delta^l = ((w^{l+1})^T\delta^{l+1}) \odot \sigma'(z^l)$;
# 3. $\partial C/\partial b^l_j = \delta^l_j$; 4. $\partial C/\partial w^l_{jk} =
#    a^{l-1}_k\delta^l_j$.

# %%
def sigmoid(z):
    return 1 / (1 + np.exp(-z))


W1, b1 = mlp.linears[0].weight.numpy(), mlp.linears[0].bias.numpy()
W2, b2 = mlp.linears[1].weight.numpy(), mlp.linears[1].bias.numpy()
z2 = X @ W1.T + b1; a2 = sigmoid(z2)  # feedforward
z3 = a2 @ W2.T + b2; a3 = sigmoid(z3)
delta3 = 2 * (a3 - Y) / len(X) * a3 * (1 - a3)  # (1) output error
delta2 = (delta3 @ W2) * a2 * (1 - a2)  # (2) backpropagate
grad_W2, grad_b2 = delta3.T @ a2, delta3.sum(0)  # (4), (3)
grad_W1, grad_b1 = delta2.T @ X, delta2.sum(0)

loss = F.mse_loss(mlp(tg.Tensor(X)), Y)
loss.backward()  # the engine
for mine, param in [(grad_W1, mlp.linears[0].weight), (grad_b1, mlp.linears[0].bias),
                    (grad_W2, mlp.linears[1].weight), (grad_b2, mlp.linears[1].bias)]:
    assert np.allclose(mine, param.grad.numpy(), atol=1e-10)
print("the four equations give the engine's gradients")

# %% [markdown]
# `debug.explain_backward` does the same for any MLP, layer by layer, and reports
# the largest difference from autograd:

# %%
explanation = debug.explain_backward(mlp, X, Y, F.mse_loss)
assert explanation.max_diff < 1e-10
explanation

# %% [markdown]
# ## Training it on XOR
#
# Full-batch gradient descent on the four XOR rows, a tanh hidden layer:

# %%
tg.manual_seed(0)
model = nn.MLP([2, 4, 1], activation="tanh", output_activation="sigmoid")
opt = optim.SGD(model.parameters(), lr=1.0)
x = tg.Tensor(X, name="x")
for step in range(1000):
    opt.zero_grad()
    loss = F.binary_cross_entropy(model(x), Y)
    loss.backward()
    opt.step()
with tg.no_grad():
    accuracy = float(np.mean((model(x).numpy() > 0.5) == (Y > 0.5)))
assert accuracy == 1.0
print(f"XOR solved: loss {loss.item():.4f}, accuracy {accuracy}")

# %% [markdown]
# The trained network (blue weights positive, red negative, width by size):

# %%
viz.draw_mlp(model)

# %% [markdown]
# The graph of its loss, parameters named after the model, with every gradient
# (intermediates too):

# %%
loss = F.binary_cross_entropy(model(x), Y)
viz.draw_graph(loss, names=[model, {"loss": loss}], all_grads=True)

# %% [markdown]
# ## Backpropagation, step by step
#
# One neuron, $o = \tanh(x_1w_1 + x_2w_2 + b)$, all scalars so every gradient is
# visible. Step with the buttons or the ←/→ keys; each frame says which op runs,
# its local derivatives, and which gradient arrives.

# %%
x1, x2 = tg.Tensor(2.0), tg.Tensor(0.0)
w1 = tg.Tensor(-3.0, requires_grad=True)
w2 = tg.Tensor(1.0, requires_grad=True)
b = tg.Tensor(6.8813735870195432, requires_grad=True)
n = x1 * w1 + x2 * w2 + b
o = n.tanh()
player = viz.animate_backward(o, names={"x1": x1, "x2": x2, "w1": w1, "w2": w2,
                                        "b": b, "n": n, "o": o})
o.backward()
assert np.isclose(w1.grad.item(), 2.0 * (1 - o.item() ** 2))  # x1 · (1 − tanh²)
player

# %%
tg.set_default_dtype(np.float32)

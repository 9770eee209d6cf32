"""Forward and backward propagation by hand, with the lecture's equations, checked
against the engine.

Lecture, "Forward Propagation" and "Backpropagation" (w of layer l has w_ji: from
neuron i of layer l−1 to neuron j of layer l, as ``nn.Linear.weight``):

    1. input x:      a¹ = x
    2. feedforward:  zˡ = wˡ aˡ⁻¹ + bˡ,   aˡ = σ(zˡ)          (a' = σ(wa + b))
    3. output error: δᴸ = ∇ₐC ⊙ σ'(zᴸ)                                (1)
    4. backpropagate: δˡ = ((wˡ⁺¹)ᵀ δˡ⁺¹) ⊙ σ'(zˡ),  l = L−1, …, 2       (2)
    5. gradients:    ∂C/∂wˡ_jk = aˡ⁻¹_k δˡ_j,   ∂C/∂bˡ_j = δˡ_j

Below, one sample at a time as column vectors (exactly the slide), σ the sigmoid
(σ' = σ(1 − σ)), and C the mean squared error over a batch. The same gradients
from ``loss.backward()`` must agree to 1e-10 (float64).

Run:  python examples/07_backprop_by_hand.py [--quick] [--out DIR]
"""

from __future__ import annotations

import _common
import numpy as np

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import debug, nn, viz

args, out = _common.setup("07_backprop_by_hand", __doc__.splitlines()[0])
tg.manual_seed(0)
tg.set_default_dtype(np.float64)  # 1e-10 needs float64

mlp = nn.MLP([2, 3, 2], activation="sigmoid", output_activation="sigmoid")
layers = mlp.linears  # [Linear(2, 3), Linear(3, 2)]: w², b² and w³, b³ (L = 3)
N = 5
X = tg.randn(N, 2).numpy()  # a batch of 5 samples, 2 features
Y = tg.rand(N, 2).numpy()  # targets in (0, 1)


def sigma(z):
    return 1.0 / (1.0 + np.exp(-z))


def sigma_prime(z):
    return sigma(z) * (1.0 - sigma(z))


# ---- forward propagation of one sample, step by step ----
print("forward propagation of x =", X[0])
a = X[0].reshape(-1, 1)  # a¹ = x as a column vector
for layer, lin in enumerate(layers, start=2):
    w, b = lin.weight.numpy(), lin.bias.numpy().reshape(-1, 1)
    z = w @ a + b
    a = sigma(z)
    print(
        f"  layer {layer}: z{layer} = w{layer} a{layer - 1} + b{layer} = "
        f"{z.ravel().round(4)}, a{layer} = σ(z{layer}) = {a.ravel().round(4)}"
    )
with tg.no_grad():
    engine_out = mlp(tg.Tensor(X[:1])).numpy().ravel()
print(f"  the engine's mlp(x) = {engine_out.round(4)}")
forward_gap = float(np.max(np.abs(a.ravel() - engine_out)))

# ---- backpropagation by hand, one sample at a time, summed over the batch ----
# C = (1/(N·k)) Σₙ Σⱼ (aᴸ_nj − y_nj)²  (F.mse_loss), so for sample n: ∇ₐC = 2(aᴸ − y)/(N·k)
k = Y.shape[1]
grad_w = [np.zeros_like(lin.weight.numpy()) for lin in layers]
grad_b = [np.zeros_like(lin.bias.numpy()) for lin in layers]
for n in range(N):
    # 1-2. feedforward, keeping every z and a
    a_list, z_list = [X[n].reshape(-1, 1)], []
    for lin in layers:
        z = lin.weight.numpy() @ a_list[-1] + lin.bias.numpy().reshape(-1, 1)
        z_list.append(z)
        a_list.append(sigma(z))
    # 3. output error  δᴸ = ∇ₐC ⊙ σ'(zᴸ)
    grad_a = 2.0 * (a_list[-1] - Y[n].reshape(-1, 1)) / (N * k)
    delta = grad_a * sigma_prime(z_list[-1])
    # 4-5. walk back: the gradients of this layer, then δ of the layer before
    for i in reversed(range(len(layers))):
        # ∂C/∂w_jk = a_k^{l−1} δ_j^l for all j, k at once: an outer product
        grad_w[i] += delta @ a_list[i].T
        grad_b[i] += delta.ravel()  # ∂C/∂b_j = δ_j^l
        if i > 0:
            delta = (layers[i].weight.numpy().T @ delta) * sigma_prime(z_list[i - 1])

# ---- the engine: one forward over the batch, one backward ----
loss = F.mse_loss(mlp(tg.Tensor(X, name="X")), tg.Tensor(Y, name="Y"))
loss.backward()
gaps = []
for layer, lin, gw, gb in zip((2, 3), layers, grad_w, grad_b):
    gap_w = float(np.max(np.abs(gw - lin.weight.grad.numpy())))
    gap_b = float(np.max(np.abs(gb - lin.bias.grad.numpy())))
    gaps += [gap_w, gap_b]
    print(
        f"layer {layer}: ∂C/∂w{layer} by hand =\n{gw.round(6)}\n"
        f"  max |hand − engine| for w{layer}: {gap_w:.1e}, for b{layer}: {gap_b:.1e}"
    )
backprop_gap = max(gaps)

# ---- the library's own walk-through of the same equations ----
explanation = debug.explain_backward(mlp, X, Y, F.mse_loss)
print(explanation)

# ---- pictures: the architecture and the graph backward walked ----
_common.picture(lambda p: viz.draw_mlp(mlp, p), out / "mlp_architecture.svg")
_common.picture(lambda p: viz.render(loss, p, names=mlp), out / "backward_graph.svg")
if not args.quick:  # backpropagation frame by frame, for one sample (about 20 pictures)
    one = F.mse_loss(mlp(tg.Tensor(X[:1], name="x")), Y[:1])
    frames = viz.render_backward(one, out / "backward_frames", names=mlp)
    print(
        f"  wrote {len(frames)} frames of backpropagation to {out / 'backward_frames'}"
    )

# ---- the stated result ----
print(f"max |hand-written backprop − engine backward| = {backprop_gap:.2e}")
_common.check(
    forward_gap < 1e-12,
    f"a' = σ(wa + b) layer by layer equals mlp(x) ({forward_gap:.1e})",
)
_common.check(
    backprop_gap < 1e-10,
    f"the four equations give the engine's gradients to 1e-10 ({backprop_gap:.1e})",
)
_common.check(
    explanation.max_diff < 1e-10,
    f"debug.explain_backward agrees too ({explanation.max_diff:.1e})",
)
_common.done(
    f"hand-written backprop equals engine backward to 1e-10 in float64 "
    f"(max diff {backprop_gap:.1e})"
)

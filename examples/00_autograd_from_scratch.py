"""Autograd from scratch: the engine's idea in one small class, then tinygrad_edu.

Read this first, then ``tinygrad_edu/tensor.py`` and ``autograd.py``: they do the
same thing for arrays instead of single numbers.

1. ``Value`` below is a scalar that remembers how it was made: its inputs and a
   ``_backward`` function sending its gradient to them (the chain rule, one op).
   It has ``+``, ``*`` and ``tanh`` (``-`` and ``**2`` are compositions).
2. ``backward`` lists every Value after its inputs (a topological order, found
   iteratively, so a chain of 20,000 ops needs no recursion), then walks that list
   backwards, calling each ``_backward``: gradients flow from the output to the
   leaves and add up (``+=``) where a value is used twice.
3. The same computations in tinygrad_edu: a neuron, then a small tanh network
   trained for a few steps. The two engines must give the same gradients (to
   1e-6; in float64 they agree to rounding) and the same losses.

Run:  python examples/00_autograd_from_scratch.py [--quick] [--out DIR]
"""

from __future__ import annotations

import math

import _common
import numpy as np

import tinygrad_edu as tg

# ---- 1. the engine in one class ------------------------------------------------------


class Value:
    """A scalar with a gradient and a record of the op that made it."""

    def __init__(self, data: float, inputs: tuple = (), op: str = "") -> None:
        self.data, self.grad = float(data), 0.0
        self.inputs, self.op = inputs, op
        self._backward = lambda: None  # a leaf sends its gradient nowhere

    def __add__(self, other: Value | float) -> Value:
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other), "+")

        def _backward():  # d(a + b)/da = 1, d(a + b)/db = 1
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __mul__(self, other: Value | float) -> Value:
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other), "*")

        def _backward():  # d(a·b)/da = b, d(a·b)/db = a
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def tanh(self) -> Value:
        t = math.tanh(self.data)
        out = Value(t, (self,), "tanh")

        def _backward():  # d tanh(a)/da = 1 − tanh²(a)
            self.grad += (1 - t * t) * out.grad

        out._backward = _backward
        return out

    __radd__, __rmul__ = __add__, __mul__

    def __neg__(self) -> Value:
        return self * -1.0

    def __sub__(self, other: Value | float) -> Value:
        return self + (-other)

    def backward(self) -> None:
        """d self / d v into every v.grad: the chain rule, outputs before inputs."""
        order = toposort(self)
        self.grad = 1.0
        for v in reversed(order):
            v._backward()


def toposort(root: Value) -> list[Value]:
    """Every Value reachable from root, each listed after its inputs (no recursion)."""
    order, seen, stack = [], set(), [(root, False)]
    while stack:
        v, inputs_done = stack.pop()
        if inputs_done:  # all of v's inputs are listed: list v
            order.append(v)
        elif v not in seen:
            seen.add(v)
            stack.append((v, True))  # come back to v after its inputs
            stack.extend((x, False) for x in v.inputs if x not in seen)
    return order


# ---- 2. the same computations, both engines ------------------------------------------

args, out = _common.setup("00_autograd_from_scratch", __doc__.splitlines()[0])
tg.set_default_dtype(np.float64)
gaps = []

# a neuron: o = tanh(x1·w1 + x2·w2 + b)
numbers = {"x1": 2.0, "x2": 0.0, "w1": -3.0, "w2": 1.0, "b": 6.8813735870195432}
v = {k: Value(n) for k, n in numbers.items()}
o = (v["x1"] * v["w1"] + v["x2"] * v["w2"] + v["b"]).tanh()
o.backward()
t = {k: tg.Tensor(n, requires_grad=True) for k, n in numbers.items()}
o_tg = tg.tanh(t["x1"] * t["w1"] + t["x2"] * t["w2"] + t["b"])
o_tg.backward()
print(f"neuron: o = {o.data:.6f} (Value), {o_tg.item():.6f} (tinygrad_edu)")
print("  input   Value.grad   tinygrad_edu .grad")
for k in numbers:
    print(f"  {k:5} {v[k].grad:12.6f} {t[k].grad.item():20.6f}")
    gaps.append(abs(v[k].grad - t[k].grad.item()))

# a 2-4-1 tanh network on XOR, squared loss, a few steps of gradient descent
rng = np.random.default_rng(0)
W1, b1 = rng.standard_normal((4, 2)), rng.standard_normal(4) * 0.1
W2, b2 = rng.standard_normal((1, 4)), rng.standard_normal(1) * 0.1
X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
Y = np.array([-1.0, 1.0, 1.0, -1.0])

params_v = [[[Value(w) for w in row] for row in M] for M in (W1, W2)]
biases_v = [[Value(b) for b in vec] for vec in (b1, b2)]
# flat, in the order of tinygrad_edu's parameters: W1, W2, b1, b2
flat_v = [w for M in params_v for row in M for w in row] + [
    b for vec in biases_v for b in vec
]
params_tg = [tg.Tensor(M.copy(), requires_grad=True) for M in (W1, W2, b1, b2)]


def loss_value() -> Value:
    total = Value(0.0)
    for x, y in zip(X, Y):
        a = [Value(xi) for xi in x]
        for M, bias in zip(params_v, biases_v):
            # neuron j: tanh(Σ_i w_ji·a_i + b_j)
            a = [
                sum((w * ai for w, ai in zip(row, a)), bj).tanh()
                for row, bj in zip(M, bias)
            ]
        total = total + (a[0] - y) * (a[0] - y)
    return total


def loss_tg() -> tg.Tensor:
    w1, w2, c1, c2 = params_tg
    hidden = tg.tanh(tg.Tensor(X) @ w1.T + c1)
    output = tg.tanh(hidden @ w2.T + c2)[:, 0]
    return ((output - Y) ** 2).sum()


steps, lr = (5 if args.quick else 50), 0.05
losses = []
for step in range(steps):
    L, L_tg = loss_value(), loss_tg()
    L.backward()
    L_tg.backward()
    grads_v = np.array([p.grad for p in flat_v])
    grads_tg = np.concatenate([p.grad.numpy().ravel() for p in params_tg])
    gaps.append(float(np.max(np.abs(grads_v - grads_tg))))
    losses.append((L.data, L_tg.item()))
    for p in flat_v:  # the micrograd update, on both engines
        p.data -= lr * p.grad
        p.grad = 0.0
    with tg.no_grad():
        for p in params_tg:
            p.data -= lr * p.grad.data
            p.zero_grad()
print(
    f"XOR network: loss {losses[0][0]:.4f} -> {losses[-1][0]:.4f} in {steps} steps "
    f"(Value), {losses[0][1]:.4f} -> {losses[-1][1]:.4f} (tinygrad_edu)"
)

# a chain deeper than Python's recursion limit: the iterative toposort copes
depth = 20_000
x = Value(0.5)
y = x
for _ in range(depth):
    y = y * 1.0001 + 0.0
y.backward()
print(
    f"chain of {2 * depth} ops: dy/dx = {x.grad:.6f} (expected {1.0001 ** depth:.6f})"
)

# ---- 3. the stated result ------------------------------------------------------------

plt = _common.pyplot()
if plt is not None:
    fig, ax = plt.subplots(figsize=(5, 3))
    ax.plot([a for a, _ in losses], "o-", label="Value (this file)")
    ax.plot([b for _, b in losses], "x--", label="tinygrad_edu")
    ax.set(xlabel="step", ylabel="squared loss", title="the same training, two engines")
    ax.legend()
    _common.save(fig, out / "two_engines_loss.png")

gap = max(gaps)
loss_gap = max(abs(a - b) for a, b in losses)
print(f"max |Value − tinygrad_edu| gradient difference = {gap:.1e}")
_common.check(gap < 1e-6, f"the two engines' gradients agree to 1e-6 ({gap:.1e})")
_common.check(loss_gap < 1e-9, f"and their losses at every step ({loss_gap:.1e})")
_common.check(losses[-1][0] < losses[0][0], "gradient descent lowers the loss")
_common.check(
    abs(x.grad - 1.0001**depth) < 1e-6 * 1.0001**depth,
    f"backward through a chain of {2 * depth} ops, no RecursionError",
)
_common.done(
    f"Value and tinygrad_edu agree: gradients to {gap:.1e}, losses to {loss_gap:.1e}"
)

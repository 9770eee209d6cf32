"""The floor of a pure-Python engine, as two yardstick rows in workloads 1 and 2.

Issue 8 asks for a per-op overhead of at most 0.6x PyTorch's and a 100,000-op chain
faster than PyTorch's. How close can *any* engine written in Python on NumPy get?
Two answers, neither part of tinygrad_edu nor an engine anybody should use:

- ``pure-Python floor``: the least an engine of tinygrad_edu's shape can be: one node
  object per op (the op class, a tuple of its inputs), an iterative topological sort,
  a dict of pending gradients. No error checks, broadcasting, dtype rules, hooks,
  version counter (in-place detection), create_graph or anomaly mode; only the three
  ops the chain uses (multiply, relu, sum). tinygrad_edu's rows next to it show what
  the contract's checks cost.
- ``one-object floor``: the output tensor is its own node (op code and inputs in its
  slots) and backward is one ``if`` per op code, micrograd-style: the fewest Python
  objects and calls per op there can be, at the price of every op being written into
  the engine. It shows what Python itself costs: object creation, frames, and the
  cycle collector rescanning a growing graph while the forward records it.
"""

from __future__ import annotations

import gc
from collections.abc import Callable

import numpy as np

NAME = "pure-Python floor"
ONE_OBJECT = "one-object floor"


class _Tensor:
    __slots__ = ("data", "requires_grad", "grad_fn", "grad")

    def __init__(self, data: np.ndarray, requires_grad: bool = False) -> None:
        self.data, self.requires_grad, self.grad_fn, self.grad = data, requires_grad, None, None

    def __mul__(self, other: _Tensor) -> _Tensor:
        return _Multiply.apply(self, other)

    def relu(self) -> _Tensor:
        return _ReLU.apply(self)

    def sum(self) -> _Tensor:
        return _Sum.apply(self)


class _Node:
    __slots__ = ("op", "inputs", "arrays", "mask")


class _Multiply:
    """out = a * b (same shapes only);  grad_a = grad * b,  grad_b = grad * a"""

    @classmethod
    def apply(cls, *inputs: _Tensor) -> _Tensor:
        node = _Node()
        node.op = cls
        arrays = tuple([x.data for x in inputs])
        out = _Tensor(cls.forward(node, *arrays))
        if any([x.requires_grad for x in inputs]):
            node.inputs, node.arrays = inputs, arrays
            out.requires_grad, out.grad_fn = True, node
        return out

    @staticmethod
    def forward(node: _Node, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return a * b

    @staticmethod
    def backward(node: _Node, grad: np.ndarray) -> tuple:
        a, b = node.arrays
        return grad * b, grad * a


class _ReLU(_Multiply):
    """out = max(x, 0);  grad_x = grad * [x > 0]"""

    @staticmethod
    def forward(node: _Node, x: np.ndarray) -> np.ndarray:
        zero = np.zeros((), x.dtype)
        node.mask = x > zero
        return np.maximum(x, zero)

    @staticmethod
    def backward(node: _Node, grad: np.ndarray) -> tuple:
        return (grad * node.mask,)


class _Sum(_Multiply):
    """out = Σ x;  grad_x = grad, broadcast to x's shape"""

    @staticmethod
    def forward(node: _Node, x: np.ndarray) -> np.ndarray:
        return np.asarray(x.sum())

    @staticmethod
    def backward(node: _Node, grad: np.ndarray) -> tuple:
        return (np.broadcast_to(grad, node.arrays[0].shape),)


def _backward(root, inputs_of: Callable, input_grads: Callable) -> None:
    """Both floors' backward: an iterative topological sort, then one sweep with the
    cycle collector paused (as tinygrad_edu does); ``input_grads(t, g)`` gives
    (input, gradient) pairs, and tensors without inputs (leaves) keep theirs in .grad."""
    order, visited = [], {root}
    stack = [(root, iter(inputs_of(root)))]
    while stack:
        t, pending = stack[-1]
        for x in pending:
            if x not in visited and x.requires_grad:
                visited.add(x)
                stack.append((x, iter(inputs_of(x))))
                break
        else:
            stack.pop()
            order.append(t)
    grads = {root: np.ones(root.data.shape, root.data.dtype)}
    collector_was_on = gc.isenabled()
    gc.disable()
    try:
        for t in reversed(order):
            g = grads.pop(t)
            if not inputs_of(t):
                t.grad = g
                continue
            for x, gx in input_grads(t, g):
                if x.requires_grad:
                    previous = grads.get(x)
                    grads[x] = gx if previous is None else previous + gx
    finally:
        if collector_was_on:
            gc.enable()


def _node_inputs(t: _Tensor) -> tuple:
    return t.grad_fn.inputs if t.grad_fn is not None else ()


def _node_input_grads(t: _Tensor, grad: np.ndarray):
    node = t.grad_fn
    return zip(node.inputs, node.op.backward(node, grad))


# ---- the one-object floor --------------------------------------------------------

_MULTIPLY, _RELU, _SUM = 1, 2, 3


class _SelfNode:
    """A tensor that is its own graph node: ``op`` (0 for a leaf), inputs ``a``, ``b``."""

    __slots__ = ("data", "requires_grad", "op", "a", "b", "mask", "grad")

    def __init__(self, data: np.ndarray, requires_grad: bool = False) -> None:
        self.data, self.requires_grad, self.op, self.grad = data, requires_grad, 0, None

    def __mul__(self, other: _SelfNode) -> _SelfNode:
        out = _SelfNode(self.data * other.data)
        if self.requires_grad or other.requires_grad:
            out.requires_grad, out.op, out.a, out.b = True, _MULTIPLY, self, other
        return out

    def relu(self) -> _SelfNode:
        x = self.data
        zero = np.zeros((), x.dtype)
        out = _SelfNode(np.maximum(x, zero))
        if self.requires_grad:
            out.requires_grad, out.op, out.a, out.b = True, _RELU, self, None
            out.mask = x > zero
        return out

    def sum(self) -> _SelfNode:
        out = _SelfNode(np.asarray(self.data.sum()))
        if self.requires_grad:
            out.requires_grad, out.op, out.a, out.b = True, _SUM, self, None
        return out


def _inputs(t: _SelfNode) -> tuple:
    return () if t.op == 0 else (t.a,) if t.b is None else (t.a, t.b)


def _self_node_input_grads(t: _SelfNode, g: np.ndarray) -> tuple:
    if t.op == _MULTIPLY:
        return (t.a, g * t.b.data), (t.b, g * t.a.data)
    if t.op == _RELU:
        return ((t.a, g * t.mask),)
    return ((t.a, np.broadcast_to(g, t.a.data.shape)),)


def _chain(tensor_type: type, inputs_of: Callable, input_grads: Callable,
           x0: np.ndarray, c: np.ndarray, n_ops: int) -> Callable[[], np.ndarray]:
    """The chain of benchmarks/chain.py on one of the floors; returns d sum / d x."""
    constant = tensor_type(c)

    def run() -> np.ndarray:
        x = tensor_type(x0, requires_grad=True)
        y = x
        for i in range(n_ops):
            y = y * constant if i % 2 == 0 else y.relu()
        _backward(y.sum(), inputs_of, input_grads)
        return x.grad

    return run


def floor_chain(x0: np.ndarray, c: np.ndarray, n_ops: int) -> Callable[[], np.ndarray]:
    return _chain(_Tensor, _node_inputs, _node_input_grads, x0, c, n_ops)


def one_object_chain(x0: np.ndarray, c: np.ndarray, n_ops: int) -> Callable[[], np.ndarray]:
    return _chain(_SelfNode, _inputs, _self_node_input_grads, x0, c, n_ops)

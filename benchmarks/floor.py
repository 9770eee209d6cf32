"""The floor of a pure-Python engine, as a peer in workloads 1 and 2.

Issue 8 asks for a per-op overhead of at most 0.6x PyTorch's and a 100,000-op chain
faster than PyTorch's. How close can *any* engine written in Python on NumPy get?
This file is the least such an engine can be: one node object per op, a tuple of
its inputs, an iterative topological sort, a dict of pending gradients; nothing
else. No error checks, no broadcasting, no dtype rules, no hooks, no version
counter (in-place detection), no create_graph, no anomaly mode; just the three ops
the chain uses (multiply, relu, sum). It is not part of tinygrad_edu, and it is not
an engine anybody should use: it is a yardstick. tinygrad_edu's rows next to it
show what the contract's checks cost; its own rows show what Python itself costs
(object creation, Python frames, and the cycle collector rescanning a growing graph
while the forward records it).
"""

from __future__ import annotations

import gc
from collections.abc import Callable

import numpy as np

NAME = "pure-Python floor"


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


def _backward(root: _Tensor) -> None:
    """Iterative topological sort, then one sweep with the cycle collector paused
    (as tinygrad_edu does), accumulating into the leaves' .grad."""
    order, visited = [], {root}
    stack = [(root, iter(root.grad_fn.inputs))]
    while stack:
        t, pending = stack[-1]
        for x in pending:
            if x not in visited and x.requires_grad:
                visited.add(x)
                stack.append((x, iter(x.grad_fn.inputs if x.grad_fn else ())))
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
            node = t.grad_fn
            if node is None:
                t.grad = g
                continue
            for x, gx in zip(node.inputs, node.op.backward(node, g)):
                if x.requires_grad:
                    previous = grads.get(x)
                    grads[x] = gx if previous is None else previous + gx
    finally:
        if collector_was_on:
            gc.enable()


def floor_chain(x0: np.ndarray, c: np.ndarray, n_ops: int) -> Callable[[], np.ndarray]:
    """The chain of benchmarks/chain.py on the floor engine; returns d sum / d x."""
    constant = _Tensor(c)

    def run() -> np.ndarray:
        x = _Tensor(x0, requires_grad=True)
        y = x
        for i in range(n_ops):
            y = y * constant if i % 2 == 0 else y.relu()
        _backward(y.sum())
        return x.grad

    return run

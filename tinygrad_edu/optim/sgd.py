"""Stochastic gradient descent with the lecture's (classic Keras) hyper-parameters.

Read next: ``optim/rmsprop.py``, ``optim/adagrad.py``, ``optim/adam.py``.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np

from ..tensor import Tensor
from .optimizer import Optimizer


class SGD(Optimizer):
    """SGD with momentum, Nesterov momentum, time-based decay and weight decay.

    At step t (t = steps taken before this one), with gradient g::

        lr_t = lr / (1 + decay · t)                  (shown as opt.current_lr)
        g    ← g + weight_decay · θ                  (coupled L2, as PyTorch)
        θ    ← θ − lr_t · g                          (momentum = 0)
        v    ← momentum · v − lr_t · g               (velocity, v₀ = 0)
        θ    ← θ + v                                 (momentum)
        θ    ← θ + momentum · v − lr_t · g           (nesterov, v after its
        update)

    This is the velocity form of old Keras. PyTorch keeps a buffer
    ``b ← μ·b + g`` and steps ``θ ← θ − lr·b``; with a constant lr, ``v =
    −lr·b`` and the two give the same trajectory. Under ``decay`` they differ: here
    each gradient enters the velocity multiplied by the lr current *when it arrived*,
    while PyTorch's buffer would rescale all past gradients by today's lr.

    The lecture's setting runs as written:
    ``SGD(model.parameters(), lr=0.1, momentum=0, nesterov=False, decay=1e-6)``.

    >>> import tinygrad_edu as tg
    >>> from tinygrad_edu import nn, optim
    >>> w = nn.Parameter([1.0, 2.0])
    >>> opt = optim.SGD([w], lr=0.5, decay=1.0)
    >>> (w * w).sum().backward(); opt.step()        # lr_0 = 0.5: w - 0.5 * 2w = 0
    >>> w.tolist(), opt.current_lr                    # lr_1 = 0.5 / (1 + 1)
    ([0.0, 0.0], 0.25)
    """

    def __init__(
        self,
        params: Iterable[Tensor],
        lr: float = 0.01,
        momentum: float = 0.0,
        nesterov: bool = False,
        decay: float = 0.0,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(
            params, lr, momentum=momentum, nesterov=nesterov, decay=decay,
            weight_decay=weight_decay,
        )

    _flags = ("nesterov",)

    def _check_hyper(self, hyper: dict) -> dict:
        checked = super()._check_hyper(hyper)
        if checked["nesterov"] and checked["momentum"] <= 0:
            raise ValueError("SGD: nesterov=True needs momentum > 0")
        return checked

    @property
    def current_lr(self) -> float:
        """``lr / (1 + decay · steps)``: the rate the next ``step()`` uses."""
        return self.lr / (1.0 + self.hyper["decay"] * self.steps)

    def _update(
        self, param: np.ndarray, grad: np.ndarray, state: dict, lr: float
    ) -> None:
        hyper = self.hyper
        momentum, weight_decay = hyper["momentum"], hyper["weight_decay"]
        if weight_decay:
            grad = self._add_weight_decay(param, grad, weight_decay)
        step = self._work(param)
        np.multiply(grad, lr, out=step)  # lr·g, in place: no new array per step
        if momentum == 0:
            param -= step  # θ ← θ − lr·g
            return
        if "velocity" not in state:
            state["velocity"] = np.zeros_like(param)
        v = state["velocity"]
        v *= momentum
        v -= step  # v ← μv − lr·g
        if hyper["nesterov"]:
            param -= step
            np.multiply(v, momentum, out=step)
            param += step  # θ ← θ + μv − lr·g
        else:
            param += v  # θ ← θ + v

"""Adagrad: each coordinate's step shrinks with the sum of its squared gradients.

Read next: ``optim/rmsprop.py`` (a running average instead of a sum).
"""

from __future__ import annotations

from typing import Iterable

import numpy as np

from ..tensor import Tensor
from .optimizer import Optimizer


class Adagrad(Optimizer):
    """Adagrad (Duchi et al., 2011), as ``torch.optim.Adagrad``.

    Per parameter, at its t-th update (t = 1, 2, ...)::

        lr_t = lr / (1 + (t − 1) · lr_decay)
        g ← g + λθ                                  (weight_decay λ)
        S ← S + g²                                  (S₀ =
        initial_accumulator_value)
        θ ← θ − lr_t · g / (√S + ε)

    >>> import tinygrad_edu as tg
    >>> from tinygrad_edu import nn, optim
    >>> w = nn.Parameter([1.0])
    >>> opt = optim.Adagrad([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step()      # 1 − 0.1 · 2 / √4
    >>> round(w.item(), 4)
    0.9
    """

    def __init__(
        self,
        params: Iterable[Tensor],
        lr: float = 1e-2,
        eps: float = 1e-10,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
    ) -> None:
        super().__init__(
            params, lr, eps=eps, lr_decay=lr_decay, weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
        )

    @property
    def current_lr(self) -> float:
        """``lr / (1 + steps · lr_decay)``."""
        return self.lr / (1 + self.steps * self.hyper["lr_decay"])

    def _update(
        self, param: np.ndarray, grad: np.ndarray, state: dict, lr: float
    ) -> None:
        # g ← g + λθ
        grad = self._add_weight_decay(param, grad, self.hyper["weight_decay"])
        if not state:
            state["step"] = 0
            state["sum"] = np.full_like(param, self.hyper["initial_accumulator_value"])
        state["step"] += 1
        # lr is the optimizer's current rate, base / (1 + steps·decay). The decay
        # counts this parameter's own updates, as PyTorch: a parameter that missed
        # gradients has had fewer, so its rate is rescaled to base / (1 +
        # (k−1)·decay) (a factor of exactly 1 for a parameter updated at every step)
        decay = self.hyper["lr_decay"]
        lr_t = lr * (1 + self.steps * decay) / (1 + (state["step"] - 1) * decay)
        S, w = state["sum"], self._work(param)
        np.multiply(grad, grad, out=w)
        S += w  # S ← S + g²
        np.sqrt(S, out=w)
        w += self.hyper["eps"]
        np.divide(grad, w, out=w)
        w *= lr_t
        param -= w  # θ ← θ − lr_t·g / (√S + ε)

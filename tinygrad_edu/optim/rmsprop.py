"""RMSprop: divide each coordinate's step by a running RMS of its gradients.

Read next: ``optim/adam.py`` (RMSprop plus momentum plus bias correction).
"""

from __future__ import annotations

from typing import Iterable

import numpy as np

from ..tensor import Tensor
from .optimizer import Optimizer, check_hyper


class RMSprop(Optimizer):
    """RMSprop (Hinton's lecture 6e), as ``torch.optim.RMSprop``.

    Per parameter::

        g ← g + λθ                                 (weight_decay λ)
        s ← αs + (1 − α)g²                         (square average, s₀ = 0)
        d = √s + ε        (centered: d = √(s − ḡ²) + ε with ḡ ← αḡ + (1 − α)g)
        θ ← θ − lr · g / d                         (momentum = 0)
        b ← μb + g / d;   θ ← θ − lr · b          (momentum μ > 0, b₀ = 0)

    >>> import tinygrad_edu as tg
    >>> from tinygrad_edu import nn, optim
    >>> w = nn.Parameter([1.0])
    >>> opt = optim.RMSprop([w], lr=0.01, alpha=0.99)
    >>> (w * w).sum().backward(); opt.step()      # 1 − 0.01 · 2 / √(0.01 · 4)
    >>> round(w.item(), 4)
    0.9
    """

    def __init__(
        self,
        params: Iterable[Tensor],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
        centered: bool = False,
    ) -> None:
        check_hyper("RMSprop", alpha=alpha, eps=eps, momentum=momentum, weight_decay=weight_decay)
        if alpha > 1:
            raise ValueError(f"RMSprop: alpha must be in [0, 1], got {alpha}")
        super().__init__(
            params, lr, alpha=float(alpha), eps=float(eps), momentum=float(momentum),
            weight_decay=float(weight_decay), centered=bool(centered),
        )

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict, lr: float) -> None:
        alpha, eps, momentum = self.hyper["alpha"], self.hyper["eps"], self.hyper["momentum"]
        if self.hyper["weight_decay"]:
            grad = grad + self.hyper["weight_decay"] * param
        if not state:
            state["square_avg"] = np.zeros_like(param)
            if momentum > 0:
                state["momentum_buffer"] = np.zeros_like(param)
            if self.hyper["centered"]:
                state["grad_avg"] = np.zeros_like(param)
        s = state["square_avg"]
        s *= alpha
        s += (1 - alpha) * grad * grad  # s ← αs + (1 − α)g²
        if self.hyper["centered"]:
            g_avg = state["grad_avg"]
            g_avg *= alpha
            g_avg += (1 - alpha) * grad  # ḡ ← αḡ + (1 − α)g
            denom = np.sqrt(s - g_avg * g_avg) + eps
        else:
            denom = np.sqrt(s) + eps
        if momentum > 0:
            b = state["momentum_buffer"]
            b *= momentum
            b += grad / denom  # b ← μb + g/d
            param -= lr * b
        else:
            param -= lr * grad / denom

"""RMSprop: divide each coordinate's step by a running RMS of its gradients.

Read next: ``optim/adam.py`` (RMSprop plus momentum plus bias correction).
"""

from __future__ import annotations

from typing import Iterable

import numpy as np

from ..tensor import Tensor
from .optimizer import Optimizer


class RMSprop(Optimizer):
    """RMSprop (Hinton's lecture 6e), as ``torch.optim.RMSprop``.

    Per parameter::

        g ← g + λθ                                 (weight_decay λ)
        s ← αs + (1 − α)g²                         (square average, s₀ = 0)
        d = √s + ε        (centered: d = √(s − ḡ²) + ε with ḡ ← αḡ +
        (1 − α)g)
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
        super().__init__(
            params, lr, alpha=alpha, eps=eps, momentum=momentum,
            weight_decay=weight_decay, centered=centered,
        )

    _flags = ("centered",)

    def _check_hyper(self, hyper: dict) -> dict:
        checked = super()._check_hyper(hyper)
        if checked["alpha"] > 1:
            raise ValueError(f"RMSprop: alpha must be in [0, 1], got {hyper['alpha']}")
        return checked

    def _update(
        self, param: np.ndarray, grad: np.ndarray, state: dict, lr: float
    ) -> None:
        alpha, eps = self.hyper["alpha"], self.hyper["eps"]
        momentum, centered = self.hyper["momentum"], self.hyper["centered"]
        # g ← g + λθ
        grad = self._add_weight_decay(param, grad, self.hyper["weight_decay"])
        if not state:
            state["square_avg"] = np.zeros_like(param)
            if momentum > 0:
                state["momentum_buffer"] = np.zeros_like(param)
            if centered:
                state["grad_avg"] = np.zeros_like(param)
        s, w = state["square_avg"], self._work(param)
        s *= alpha
        np.multiply(grad, grad, out=w)
        w *= 1 - alpha
        s += w  # s ← αs + (1 − α)g²
        if centered:
            g_avg = state["grad_avg"]
            g_avg *= alpha
            np.multiply(grad, 1 - alpha, out=w)
            g_avg += w  # ḡ ← αḡ + (1 − α)g
            np.multiply(g_avg, g_avg, out=w)
            np.subtract(s, w, out=w)
            np.sqrt(w, out=w)  # w = √(s − ḡ²)
        else:
            np.sqrt(s, out=w)  # w = √s
        w += eps
        np.divide(grad, w, out=w)  # w = g / (√s + ε)
        if momentum > 0:
            b = state["momentum_buffer"]
            b *= momentum
            b += w  # b ← μb + g / (√s + ε)
            np.multiply(b, lr, out=w)
        else:
            w *= lr
        param -= w  # θ ← θ − lr·(b or g / (√s + ε))

"""Adam and AdamW: momentum plus per-coordinate step sizes, with bias correction.

Read next: ``optim/lr_scheduler.py``.
"""

from __future__ import annotations

import math
from typing import Iterable

import numpy as np

from ..tensor import Tensor
from .optimizer import Optimizer, nonnegative


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015), as ``torch.optim.Adam``.

    Per parameter, at its t-th update (t = 1, 2, ...)::

        g ← g + λθ                          (weight_decay λ: coupled L2)
        m ← β₁m + (1 − β₁)g                 (first moment, m₀ = 0)
        v ← β₂v + (1 − β₂)g²                (second moment, v₀ = 0)
        m̂ = m / (1 − β₁ᵗ),   v̂ = v / (1 − β₂ᵗ)
        θ ← θ − lr · m̂ / (√v̂ + ε)

    >>> import tinygrad_edu as tg
    >>> from tinygrad_edu import nn, optim
    >>> w = nn.Parameter([1.0, -1.0])
    >>> opt = optim.Adam([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step()      # the first step moves lr·sign(g)
    >>> [round(x, 4) for x in w.tolist()]
    [0.9, -0.9]
    """

    decoupled = False  # AdamW sets True

    def __init__(
        self,
        params: Iterable[Tensor],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(
            params, lr, betas=betas, eps=eps, weight_decay=weight_decay
        )

    def _check_hyper(self, hyper: dict) -> dict:
        name, betas = type(self).__name__, hyper["betas"]
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(
                f"{name}: betas must be a pair (beta1, beta2), got {betas!r}"
            )
        for i, beta in enumerate(betas):
            nonnegative(name, f"betas[{i}]", beta)
            if not 0.0 <= beta < 1.0:
                raise ValueError(f"{name}: betas[{i}] must be in [0, 1), got {beta}")
        checked = super()._check_hyper({k: v for k, v in hyper.items() if k != "betas"})
        return {"betas": (float(betas[0]), float(betas[1])), **checked}

    def _update(
        self, param: np.ndarray, grad: np.ndarray, state: dict, lr: float
    ) -> None:
        beta1, beta2 = self.hyper["betas"]
        eps, weight_decay = self.hyper["eps"], self.hyper["weight_decay"]
        if not self.decoupled:
            grad = self._add_weight_decay(param, grad, weight_decay)  # g ← g + λθ
        elif weight_decay:
            # AdamW: θ ← θ − lr·λθ, outside the moments
            param *= 1 - lr * weight_decay
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(param)
            state["exp_avg_sq"] = np.zeros_like(param)
        state["step"] += 1
        t = state["step"]
        m, v, w = state["exp_avg"], state["exp_avg_sq"], self._work(param)
        m *= beta1
        np.multiply(grad, 1 - beta1, out=w)
        m += w  # m ← β₁m + (1 − β₁)g
        v *= beta2
        np.multiply(grad, grad, out=w)
        w *= 1 - beta2
        v += w  # v ← β₂v + (1 − β₂)g²
        np.sqrt(v, out=w)
        w /= math.sqrt(1 - beta2**t)
        w += eps  # w = √v̂ + ε,  v̂ = v / (1 − β₂ᵗ)
        np.divide(m, w, out=w)
        # w = lr·m̂ / (√v̂ + ε), m̂ = m / (1 − β₁ᵗ)
        w *= lr / (1 - beta1**t)
        param -= w


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter), as ``torch.optim.AdamW``.

    Before the Adam step: ``θ ← θ − lr·λ·θ`` (the decay does not pass through
    the moment estimates, unlike Adam's coupled ``g + λθ``). Default ``λ = 0.01``.

    >>> import tinygrad_edu as tg
    >>> from tinygrad_edu import nn, optim
    >>> w = nn.Parameter([1.0])
    >>> opt = optim.AdamW([w], lr=0.1, weight_decay=0.5)
    >>> (w * 0.0).sum().backward(); opt.step()   # zero gradient: only the decay acts
    >>> round(w.item(), 4)
    0.95
    """

    decoupled = True

    def __init__(
        self,
        params: Iterable[Tensor],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay)

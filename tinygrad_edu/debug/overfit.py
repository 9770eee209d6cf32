"""overfit_one_batch: can the model drive one batch's loss to ~0?"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..autograd import no_grad
from ..tensor import Tensor
from ..train import NonFiniteLossError, loss_item, train_step
from ._common import LossFn, _in_mode, _ModelState, _named_parameters
from .lr_find import _make_optimizer


@dataclass
class OverfitReport:
    """``overfit_one_batch``: the ``losses`` per step, ``ok`` (reached ``tol``),
    ``verdict`` (a sentence), ``no_grad`` (parameters that got no gradient)."""

    losses: list[float]
    tol: float
    ok: bool
    verdict: str
    no_grad: list[str]

    @property
    def initial_loss(self) -> float:
        return self.losses[0]

    @property
    def final_loss(self) -> float:
        return self.losses[-1]

    def __str__(self) -> str:
        return (
            f"overfit one batch: loss {self.initial_loss:.4g} -> {self.final_loss:.4g} "
            f"in {len(self.losses) - 1} steps (target <= {self.tol:.3g}): "
            f"{'OK' if self.ok else 'FAILED'}\n{self.verdict}"
        )


def overfit_one_batch(
    model: Any,
    loss_fn: LossFn,
    optimizer: Any,
    x: Any,
    y: Any,
    steps: int = 200,
    tol: float | None = None,
    restore: bool = True,
) -> OverfitReport:
    """Can the model drive the loss of one small batch (nearly) to zero?

    The standard first sanity check: a network with enough capacity memorises a
    handful of samples. If the loss does not go to ~0, something is wrong before
    any question of generalisation: a bug (loss/target shapes, a missing
    non-linearity, parameters that get no gradient), too large a learning rate, or
    too small a model.

    Parameters
    ----------
    optimizer : Optimizer, or factory ``f(params) -> Optimizer``
    steps : int
        Gradient steps on the same batch.
    tol : float, optional
        Success when the loss reaches it; default 1% of the initial loss.
    restore : bool, default True
        Put the parameters (and the optimizer's state) back afterwards.

    Returns
    -------
    OverfitReport
        ``.ok``, ``.losses``, ``.verdict``.

    Examples
    --------
    >>> import numpy as np, tinygrad_edu as tg
    >>> from tinygrad_edu import nn, optim
    >>> import tinygrad_edu.nn.functional as F
    >>> _ = tg.manual_seed(0)
    >>> model = nn.MLP([2, 16, 1], activation="tanh")
    >>> X, y = tg.randn(8, 2), tg.randn(8, 1)
    >>> opt = optim.Adam(model.parameters(), lr=0.05)
    >>> report = overfit_one_batch(model, F.mse_loss, opt, X, y)
    >>> report.ok
    True
    """
    opt = _make_optimizer(optimizer, model)
    saved = _ModelState(model) if restore else None
    opt_state = opt.state_dict() if restore and hasattr(opt, "state_dict") else None
    xb = x if isinstance(x, Tensor) else Tensor(np.asarray(x))
    yb = y if isinstance(y, Tensor) else Tensor(np.asarray(y))
    losses: list[float] = []
    no_grad_params: list[str] = []
    try:
        with _in_mode(model, True), np.errstate(all="ignore"):
            for step in range(steps):
                try:
                    losses.append(
                        train_step(
                            model, loss_fn, opt, xb, yb, caller="overfit_one_batch"
                        )
                    )
                except NonFiniteLossError as err:
                    losses.append(err.loss)  # type: ignore[attr-defined]
                    break
                if step == 0:  # train_step leaves this step's gradients readable
                    no_grad_params = [
                        n for n, p in _named_parameters(model) if p.grad is None
                    ]
            else:  # the loss after the last step
                with no_grad():
                    losses.append(
                        loss_item(loss_fn(model(xb), yb), "overfit_one_batch")
                    )
    finally:
        if saved is not None:
            saved.restore()
            if opt_state is not None:
                opt.load_state_dict(opt_state)
    first, last = losses[0], losses[-1]
    tol = 0.01 * abs(first) if tol is None else tol
    ok = math.isfinite(last) and last <= tol
    # still falling: the second half of the run still brings a real part of the drop
    half = losses[len(losses) // 2 :]
    late_drop = half[0] - half[-1]
    if ok:
        verdict = (
            "it memorises one batch, so the model and its gradients work; if full "
            "training still fails, look at the learning rate, the data and "
            "regularisation"
        )
    elif not math.isfinite(last) or last > first:
        verdict = "the loss grew: the learning rate is too large (try 10× smaller)"
    elif late_drop > 0.1 * (first - last) and late_drop > 0.01 * abs(half[0]):
        verdict = (
            "the loss is still falling: give it more steps or a larger learning " "rate"
        )
    else:
        verdict = (
            "the loss is stuck: the model is too small for even this batch, or there "
            "is a bug (loss/target shapes, a missing non-linearity, a parameter "
            "that gets no gradient)"
        )
    if no_grad_params:
        verdict += f"; these parameters got no gradient: {', '.join(no_grad_params)}"
    return OverfitReport(losses, tol, ok, verdict, no_grad_params)


# ======================================================================================

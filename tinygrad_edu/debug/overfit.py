"""overfit_one_batch: can the model drive one batch's loss to ~0?"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..autograd import no_grad
from ..tensor import Tensor
from ..train import NonFiniteLossError, loss_item, train_step
from ..nn.layers import Dropout
from ._common import LossFn, _in_mode, _ModelState, _modules, _named_parameters
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
    start = _ModelState(model)  # to restore, and to measure how far the steps went
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
        moved = _relative_change(start)
    finally:
        if restore:
            start.restore()
            if opt_state is not None:
                opt.load_state_dict(opt_state)
    tol = 0.01 * abs(losses[0]) if tol is None else tol
    ok = math.isfinite(losses[-1]) and losses[-1] <= tol
    verdict = (
        "it memorises one batch, so the model and its gradients work; if full "
        "training still fails, look at the learning rate, the data and "
        "regularisation"
        if ok
        else _failure_verdict(losses, moved, _dropout(model))
    )
    if no_grad_params:
        verdict += f"; these parameters got no gradient: {', '.join(no_grad_params)}"
    return OverfitReport(losses, tol, ok, verdict, no_grad_params)


# ---- the verdict: what the shape of the loss curve says ------------------------------

FLAT = 1e-6  # relative change of the loss below this: it did not move (float32 ~1e-7)


def _failure_verdict(losses: list[float], moved: float, dropout: float) -> str:
    """Why the loss did not reach the target, read from the curve, with the numbers.

    A curve that still falls steadily says nothing against the model, however
    slowly it falls: a tiny learning rate looks exactly like that. Only a curve
    that fell and then stopped points at the model (or a bug).
    """
    first, last = losses[0], losses[-1]
    steps, scale = len(losses) - 1, max(abs(first), 1e-12)
    if not math.isfinite(last):
        return (
            f"the loss grew to {last} within {steps} steps: the learning rate is "
            "too large (try 10× smaller)"
        )
    best = int(np.argmin(losses))
    curve = np.asarray(losses)
    late = curve[len(curve) // 2 :]
    late_steps = np.diff(late)
    late_drop, drop = late[0] - late[-1], first - last
    rises = int(np.sum(np.diff(curve) > 1e-3 * np.abs(curve[:-1])))
    shape = f"loss {first:.6g} -> {last:.6g} in {steps} steps"
    too_large = "the learning rate is too large (try 10× smaller)"
    if dropout:  # the likelier cause of a noisy curve; the lr comes second
        too_large = (
            f"the model has dropout (p={dropout:g}) active in these steps, which "
            "makes each step's loss random: check with dropout off (p=0); if it "
            f"still does this, {too_large}"
        )
    if curve.max() - curve.min() <= FLAT * scale:
        return (
            f"the loss did not move ({shape}; the parameters changed by {moved:.2g} "
            "of their size): the learning rate is 0 or far too small, or no gradient "
            "reaches the parameters"
        )
    if last - curve[best] > 0.1 * (first - curve[best]):
        return (
            f"the loss went back up ({shape}, lowest {curve[best]:.6g} at step "
            f"{best}): {too_large}"
        )
    if np.mean(late_steps > 0) >= 0.25 and np.ptp(late) > 0.05 * np.median(late):
        return (
            f"the loss jumps up and down without settling ({shape}; it rose at "
            f"{int(np.sum(late_steps > 0))} of the last {late_steps.size} steps, "
            f"between {late.min():.4g} and {late.max():.4g}): {too_large}"
        )
    steady = np.mean(late_steps > 0) <= 0.1
    if late_drop > 0.1 * drop and (steady or late_drop > 0.01 * abs(late[0])):
        slow = late_drop <= 0.01 * abs(late[0])
        return (
            f"the loss is still falling{' slowly' if slow else ''} ({shape}, a fall "
            f"of {100 * drop / scale:.2g}%; the second half of the steps brought "
            f"{100 * late_drop / drop:.0f}% of the drop, so it is not levelling off; "
            f"the parameters changed by {moved:.2g} of their size): "
            + (
                "the learning rate is likely too small (try 10× larger), or it "
                "needs many more steps"
                if slow
                else "give it more steps or a larger learning rate"
            )
        )
    unstable = (
        f"; it also rose at {rises} of {steps} steps: {too_large}"
        if rises >= 0.1 * steps
        else ""
    )
    return (
        f"the loss is stuck: it fell and levelled off ({shape}; the second half of "
        f"the steps brought {100 * max(late_drop, 0.0) / drop:.2g}% of the drop): "
        "the model is too small for even this batch, or there is a bug (loss/target "
        "shapes, a missing non-linearity, a parameter that gets no gradient)"
        + unstable
    )


def _relative_change(start: _ModelState) -> float:
    """‖θ − θ₀‖ / ‖θ₀‖ over all parameters: how far the steps moved the model."""
    with np.errstate(all="ignore"):  # a diverged run: inf is the honest answer
        change = sum(
            float(np.sum((p.data.astype(np.float64) - start.data[n]) ** 2))
            for n, p in start.params
        )
        size = sum(
            float(np.sum(v.astype(np.float64) ** 2)) for v in start.data.values()
        )
    return math.sqrt(change / size) if size > 0 else math.sqrt(change)


def _dropout(model: Any) -> float:
    """The largest drop probability among the model's Dropout layers (0: none)."""
    return max(
        (float(m.p) for m in _modules(model) if isinstance(m, Dropout)), default=0.0
    )


# ======================================================================================

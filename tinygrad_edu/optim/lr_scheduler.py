"""Learning-rate schedules, with PyTorch's signatures and semantics.

Create the scheduler after the optimizer and call ``scheduler.step()`` once after
each epoch (after ``optimizer.step()``); it sets ``optimizer.lr`` to the rate of
the next epoch. ``last_epoch`` counts the ``step()`` calls (it is 0 right after
construction, when ``optimizer.lr`` is the base rate); ``get_last_lr()`` returns
``[optimizer.lr]`` as set by the last step.

Each schedule is a closed-form function of ``last_epoch`` and the base rate
(``optimizer.initial_lr``, recorded by the first scheduler attached).

>>> from tinygrad_edu import nn, optim
>>> opt = optim.SGD(nn.Linear(2, 1).parameters(), lr=1.0)
>>> sched = optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
>>> rates = []
>>> for epoch in range(5):
...     rates.append(opt.lr)      # ... train one epoch with opt ...
...     sched.step()
>>> rates
[1.0, 1.0, 0.5, 0.5, 0.25]

Read next: ``io.py`` (saving a model and its optimizer).
"""

from __future__ import annotations

import math
import numbers
from typing import Any

from .. import autograd
from .optimizer import Optimizer

# ---- argument checks: at construction, not epochs later as "SGD: invalid lr" --------


def _positive_int(value: Any, who: str, name: str) -> int:
    """``value`` as an int ``>= 1``; TypeError for a float or a non-number."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{who}: {name} must be a positive int, got {value!r}")
    if value <= 0:
        raise ValueError(f"{who}: {name} must be a positive int, got {value!r}")
    return int(value)


def _nonnegative(value: Any, who: str, name: str) -> float:
    """``value`` as a finite float ``>= 0``; TypeError for a non-number."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{who}: {name} must be a number, got {value!r}")
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{who}: {name} must be a finite number >= 0, got {value!r}")
    return float(value)


# ---- the schedules -------------------------------------------------------------------


class LRScheduler:
    """Base class: subclasses define ``lr_at(epoch)`` from ``self.base_lr``."""

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(
                f"{type(self).__name__}: expected an Optimizer, "
                f"got {type(optimizer).__name__}"
            )
        self.optimizer = optimizer
        if last_epoch == -1:
            optimizer.initial_lr = getattr(optimizer, "initial_lr", optimizer.lr)
        elif not hasattr(optimizer, "initial_lr"):
            raise ValueError(
                f"{type(self).__name__}: last_epoch={last_epoch} resumes a schedule, "
                "but the optimizer has no initial_lr (create the scheduler with "
                "last_epoch=-1)"
            )
        self.base_lr: float = optimizer.initial_lr
        self.last_epoch = last_epoch
        self.step()  # as PyTorch: epoch 0 starts at lr_at(0)

    def lr_at(self, epoch: int) -> float:
        raise NotImplementedError("abstract: subclasses implement lr_at")

    def step(self) -> None:
        """Advance one epoch and set the optimizer's learning rate."""
        if autograd._trace_hook is not None:  # tinygrad_edu.compile records this call
            autograd._trace_hook.record_call(self.step, self)
        self.last_epoch += 1
        self.optimizer.lr = self.lr_at(self.last_epoch)
        self._last_lr = [self.optimizer.lr]

    def get_last_lr(self) -> list[float]:
        """The rate set by the last ``step()`` (a one-element list, as PyTorch)."""
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        """The schedule's settings and position (no optimizer)."""
        return {k: v for k, v in vars(self).items() if k != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Resume from ``state_dict()``."""
        for key, value in state_dict.items():
            if key not in vars(self):
                raise ValueError(
                    f"{type(self).__name__}.load_state_dict: unexpected key {key!r}"
                )
            setattr(self, key, value)
        self._last_lr = list(self._last_lr)


class StepLR(LRScheduler):
    """``lr = base · gamma ** (epoch // step_size)``: × gamma every step_size
    epochs."""

    def __init__(
        self,
        optimizer: Optimizer,
        step_size: int,
        gamma: float = 0.1,
        last_epoch: int = -1,
    ) -> None:
        self.step_size = _positive_int(step_size, "StepLR", "step_size")
        self.gamma = _nonnegative(gamma, "StepLR", "gamma")
        super().__init__(optimizer, last_epoch)

    def lr_at(self, epoch: int) -> float:
        return self.base_lr * self.gamma ** (epoch // self.step_size)


class ExponentialLR(LRScheduler):
    """``lr = base · gamma ** epoch``.

    >>> from tinygrad_edu import nn, optim
    >>> opt = optim.SGD(nn.Linear(1, 1).parameters(), lr=1.0)
    >>> sched = optim.lr_scheduler.ExponentialLR(opt, gamma=0.5)
    >>> sched.step(); sched.step(); sched.get_last_lr()
    [0.25]
    """

    def __init__(
        self, optimizer: Optimizer, gamma: float, last_epoch: int = -1
    ) -> None:
        self.gamma = _nonnegative(gamma, "ExponentialLR", "gamma")
        super().__init__(optimizer, last_epoch)

    def lr_at(self, epoch: int) -> float:
        return self.base_lr * self.gamma**epoch


class CosineAnnealingLR(LRScheduler):
    """``lr = eta_min + (base − eta_min) · (1 + cos(π · epoch / T_max)) / 2``.

    From the base rate at epoch 0 down to ``eta_min`` at ``T_max`` (and back up
    after, periodically, as PyTorch's).
    """

    def __init__(
        self,
        optimizer: Optimizer,
        T_max: int,
        eta_min: float = 0.0,
        last_epoch: int = -1,
    ) -> None:
        self.T_max = _positive_int(T_max, "CosineAnnealingLR", "T_max")
        self.eta_min = _nonnegative(eta_min, "CosineAnnealingLR", "eta_min")
        super().__init__(optimizer, last_epoch)

    def lr_at(self, epoch: int) -> float:
        cosine = (1 + math.cos(math.pi * epoch / self.T_max)) / 2
        return self.eta_min + (self.base_lr - self.eta_min) * cosine


class InverseTimeDecay(LRScheduler):
    """``lr = base / (1 + decay_rate · epoch / decay_steps)`` (Keras' InverseTimeDecay;
    ``staircase=True`` uses ``floor(epoch / decay_steps)``).

    Per epoch; SGD's ``decay`` argument applies the same formula per step.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        decay_rate: float,
        decay_steps: int = 1,
        staircase: bool = False,
        last_epoch: int = -1,
    ) -> None:
        self.decay_rate = _nonnegative(decay_rate, "InverseTimeDecay", "decay_rate")
        self.decay_steps = _positive_int(decay_steps, "InverseTimeDecay", "decay_steps")
        self.staircase = bool(staircase)
        super().__init__(optimizer, last_epoch)

    def lr_at(self, epoch: int) -> float:
        progress = epoch / self.decay_steps
        if self.staircase:
            progress = math.floor(progress)
        return self.base_lr / (1 + self.decay_rate * progress)


__all__ = [
    "LRScheduler", "StepLR", "ExponentialLR", "CosineAnnealingLR", "InverseTimeDecay",
]

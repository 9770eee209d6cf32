"""What the questions of ``diagnose`` share: data, initial state, budget, runs."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from ...autograd import enable_grad, no_grad
from ...tensor import Tensor
from ...train import NonFiniteLossError, train_step
from .._common import LossFn, _array, _eval_loss, _in_mode, _ModelState
from .neighbours import neighbour_signal


@dataclass
class TrainingRun:
    """One short training run: full-data losses at the start and after each epoch."""

    lr: float
    train: list[float]
    val: list[float]
    diverged: bool = False
    state: dict | None = None  # the model's parameters at the end
    opt_state: dict | None = None


class EpochBudget:
    """Epochs left to spend (one epoch = one pass over the full training set)."""

    def __init__(self, total: float) -> None:
        self.total, self.spent = float(total), 0.0

    def fits(self, cost: float) -> bool:
        return self.spent + cost <= self.total + 1e-9

    def spend(self, cost: float) -> None:
        self.spent += cost


def data_arrays(data: Any, what: str) -> tuple[np.ndarray, np.ndarray, int | None]:
    """(X, y, batch size or None) from a DataLoader or an (X, y) pair."""
    from ...data import DataLoader

    if hasattr(data, "X") and hasattr(data, "y"):
        return data.X, data.y, getattr(data, "batch_size", None)
    try:
        X, y = data
    except (TypeError, ValueError):
        raise TypeError(
            f"diagnose: {what} must be an (X, y) pair or a DataLoader"
        ) from None
    loader = DataLoader(_array(X), _array(y), shuffle=False)  # its dtype rules, checks
    return loader.X, loader.y, None


def constant_baseline(
    model: Any, loss_fn: LossFn, X: np.ndarray, y: np.ndarray
) -> float:
    """The loss of the best constant prediction (the same output for every sample),
    fitted by Adam on the loss itself: the 'knows nothing about x' reference."""
    from ...optim import Adam

    with no_grad():
        out_shape = model(Tensor._from_array(X[:1])).shape[1:]
    start = np.zeros(out_shape)
    if y.shape[1:] == tuple(out_shape) and y.dtype.kind == "f":
        start = y.astype(np.float64).mean(axis=0)
    constant = Tensor(start.astype(np.float64), requires_grad=True)
    opt = Adam([constant], lr=0.05)
    ones = Tensor(np.ones((len(X),) + (1,) * len(out_shape)))
    target = Tensor._from_array(y)
    with enable_grad(), np.errstate(all="ignore"):
        for _ in range(200):
            try:
                train_step(lambda x: x * constant, loss_fn, opt, ones, target)
            except NonFiniteLossError:
                break
        with no_grad():
            return float(loss_fn(ones * constant, target).item())


class Trial:
    """The model under diagnosis, its data and everything the questions share.

    ``main`` (the run at the lr the other questions train with) and ``noise``
    (how much the final validation loss changes between two runs that differ only
    in the shuffling) are set by the learning-rate question, which comes first.
    """

    def __init__(
        self,
        model: Any,
        loss_fn: LossFn,
        optimizer_factory: Callable,
        data: tuple,
        epochs: int,
        budget: float,
        batch_size: int,
        seed: int,
    ) -> None:
        self.model, self.loss_fn, self.factory = model, loss_fn, optimizer_factory
        self.X, self.y, self.Xv, self.yv = data
        self.epochs, self.batch_size, self.seed = epochs, batch_size, seed
        self.budget = EpochBudget(budget)
        self.initial = _ModelState(model)
        self.params = list(model.parameters())
        self.user_lr = float(optimizer_factory(self.params).lr)
        self.baseline = constant_baseline(model, loss_fn, self.X, self.y)
        self.initial_loss = self.loss(self.X, self.y)
        self.main: TrainingRun | None = None
        self.noise = 0.0
        self._continued: TrainingRun | None | bool = False  # False: not tried yet
        self._neighbours: dict | None = None

    def loss(self, X: np.ndarray, y: np.ndarray) -> float:
        """The model's full-data loss in eval mode (NaN on overflow)."""
        return _eval_loss(self.model, self.loss_fn, X, y)

    def neighbours(self) -> dict:
        """The 5-nearest-neighbour vote on the validation set (computed once):
        whether x predicts y, and how well a model-free fit does."""
        if self._neighbours is None:
            self._neighbours = neighbour_signal(self.X, self.y, self.Xv, self.yv)
        return self._neighbours

    def change_floor(self) -> float:
        """The smallest loss change that counts: beyond the run-to-run noise and 1%
        of the baseline (near the noise floor, a few % of a tiny loss is noise)."""
        return max(3 * self.noise, 0.01 * self.baseline)

    def run(
        self,
        lr: float,
        epochs: int | None = None,
        subset: np.ndarray | None = None,
        seed: int | None = None,
        curve: bool = True,
    ) -> TrainingRun | None:
        """Train from the initial parameters at ``lr`` (None when over budget)."""
        epochs = self.epochs if epochs is None else epochs
        n = len(self.X) if subset is None else len(subset)
        cost = epochs * n / len(self.X)
        if not self.budget.fits(cost):
            return None
        self.budget.spend(cost)
        self.initial.restore(grads=False)
        opt = self.factory(self.params)
        opt.lr = lr
        X, y = (self.X, self.y) if subset is None else (self.X[subset], self.y[subset])
        run = self._train(
            opt, lr, X, y, epochs, self.seed if seed is None else seed, curve
        )
        run.opt_state = opt.state_dict()
        return run

    def continued(self) -> TrainingRun | None:
        """The main run trained ``epochs`` more (once; None without budget or after
        a diverged main run). Leaves the model at the end of the longest training."""
        if self._continued is False:
            self._continued = None
            main = self.main
            if main is not None and not main.diverged and self.budget.fits(self.epochs):
                self.budget.spend(self.epochs)
                self.initial.restore(grads=False)
                self.model.load_state_dict(main.state)
                opt = self.factory(self.params)
                opt.load_state_dict(main.opt_state)
                more = self._train(
                    opt,
                    main.lr,
                    self.X,
                    self.y,
                    self.epochs,
                    self.seed + 1,
                    curve=False,
                )
                self._continued = None if more.diverged else more
        self.load_trained()
        return self._continued  # type: ignore[return-value]

    def load_trained(self) -> None:
        """The model as trained longest (the continued run, else the main run)."""
        longest = (
            self._continued if isinstance(self._continued, TrainingRun) else self.main
        )
        self.initial.restore(grads=False)
        if longest is not None and longest.state is not None:
            self.model.load_state_dict(longest.state)

    def _train(
        self,
        opt: Any,
        lr: float,
        X: np.ndarray,
        y: np.ndarray,
        epochs: int,
        seed: int,
        curve: bool,
    ) -> TrainingRun:
        """Mini-batch training (``train_step``), stopping quietly on NaN/Inf."""
        from ...data import DataLoader

        loader = DataLoader(X, y, batch_size=self.batch_size, shuffle=True, seed=seed)
        run = TrainingRun(
            lr, [self.loss(self.X, self.y)], [self.loss(self.Xv, self.yv)]
        )
        for epoch in range(epochs):
            with _in_mode(self.model, True), np.errstate(all="ignore"):
                for xb, yb in loader:
                    try:
                        train_step(
                            self.model, self.loss_fn, opt, xb, yb, caller="diagnose"
                        )
                    except NonFiniteLossError:
                        run.diverged = True
                        break
            if run.diverged or curve or epoch == epochs - 1:
                run.train.append(self.loss(self.X, self.y))
                run.val.append(self.loss(self.Xv, self.yv))
                run.diverged = run.diverged or not math.isfinite(run.train[-1])
            if run.diverged:
                break
        run.state = self.model.state_dict()
        return run


def relative_change(before: float, after: float) -> float:
    """(before − after) / |before|: the relative drop, 0 when before is 0."""
    return (before - after) / abs(before) if before else 0.0

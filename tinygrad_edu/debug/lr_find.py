"""lr_find: the learning-rate range test."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Iterable

import numpy as np

from ..progress import progress_bar
from ..train import NonFiniteLossError, train_step
from .._display import html_table
from ._common import LossFn, _in_mode, _ModelState, _table


def _make_optimizer(optimizer: Any, model: Any, lr: float | None = None) -> Any:
    """An optimizer object from an optimizer or a factory ``f(params) -> optimizer``."""
    if optimizer is None:
        from ..optim import SGD

        return SGD(list(model.parameters()), lr=1e-3 if lr is None else lr)
    if hasattr(optimizer, "step") and hasattr(optimizer, "zero_grad"):
        return optimizer
    if callable(optimizer):
        return optimizer(list(model.parameters()))
    raise TypeError(
        f"expected an optimizer or a factory f(params) -> optimizer, got "
        f"{type(optimizer).__name__}"
    )


def _cycle(loader: Iterable) -> Iterable:
    """Batches forever: a new pass (a new shuffle) whenever the loader is exhausted."""
    while True:
        empty = True
        for batch in loader:
            empty = False
            yield batch
        if empty:
            raise ValueError("the loader produced no batches")


def _suggest_lr(
    lrs: np.ndarray, losses: np.ndarray, window: float
) -> tuple[float, np.ndarray]:
    """(suggested lr, smoothed curve): steepest relative descent of the centred
    moving average, looked for before the curve's minimum."""
    log_lr = np.log10(lrs)
    step = (log_lr[-1] - log_lr[0]) / max(1, len(lrs) - 1)
    w = max(1, int(round(window / 2 / step)))
    padded = np.pad(losses, w, mode="edge")
    curve = np.convolve(padded, np.ones(2 * w + 1) / (2 * w + 1), mode="valid")
    lowest = int(np.argmin(curve))
    shape = np.log(curve) if np.all(curve > 0) else curve  # relative drop when possible
    slopes = []
    for i in range(min(w, lowest), lowest + 1):
        a, b = max(0, i - w), min(len(curve) - 1, i + w)
        if b > a:
            slopes.append(((shape[b] - shape[a]) / (log_lr[b] - log_lr[a]), i))
    if not slopes or min(slopes)[0] >= 0:  # never falls: a tenth of the lowest point
        return float(lrs[lowest]) / 10, curve
    return float(lrs[min(slopes)[1]]), curve


@dataclass
class LRFinderResult:
    """What ``lr_find`` measured: ``lrs``, raw ``losses``, ``smoothed`` losses
    (centred moving average), the ``suggested_lr`` (steepest relative descent of
    the smoothed loss), ``min_loss_lr`` and why it stopped (``stopped``)."""

    lrs: np.ndarray
    losses: np.ndarray
    smoothed: np.ndarray
    suggested_lr: float
    min_loss_lr: float
    stopped: str

    def _rows(self) -> list[list]:
        """Twelve rows spread over the range (the whole curve is in the arrays)."""
        picks = np.unique(
            np.linspace(0, len(self.lrs) - 1, min(12, len(self.lrs))).astype(int)
        )
        return [
            [f"{self.lrs[i]:.2e}", float(self.losses[i]), float(self.smoothed[i])]
            for i in picks
        ]

    def __repr__(self) -> str:
        """The summary (16 lines), not the arrays."""
        return str(self)

    def _repr_html_(self) -> str:
        return html_table(
            ["lr", "loss", "smoothed"], self._rows(),
            caption=f"lr_find: suggested lr {self.suggested_lr:.3g} (lowest loss at "
            f"{self.min_loss_lr:.3g}; {self.stopped})",
        )

    def __str__(self) -> str:
        rows = self._rows()
        return "\n".join(
            [
                f"learning-rate range test: {len(self.lrs)} steps, lr "
                f"{self.lrs[0]:.1e} → {self.lrs[-1]:.1e} ({self.stopped})",
                _table(["lr", "loss", "smoothed"], rows),
                f"suggested lr {self.suggested_lr:.3g} (where the smoothed loss falls "
                f"fastest, relatively); lowest loss at {self.min_loss_lr:.3g} — pick "
                "the suggestion, or about a tenth of the lowest-loss lr",
            ]
        )

    def plot(self, path: Any = None) -> Any:
        """Loss against lr (log scale), the suggestion marked: ``viz.plot_lr_find``
        (the Figure, shown inline in Jupyter; the path when ``path`` is given)."""
        from ..viz import plot_lr_find

        return plot_lr_find(self, path)


def lr_find(
    model: Any,
    loss_fn: LossFn,
    loader: Iterable,
    optimizer: Any = None,
    start_lr: float = 1e-6,
    end_lr: float = 10.0,
    num_steps: int = 100,
    window: float = 0.5,
    beta: float = 0.9,
    diverge: float = 4.0,
    plot: Any = None,
    progress: bool = True,
) -> LRFinderResult:
    """The learning-rate range test (Smith 2017): which α makes the loss fall fastest?

    One mini-batch step (``train.train_step``) per learning rate, the rate growing
    exponentially, ``α_i = start·(end/start)^(i/(num_steps−1))``. The test stops
    once an exponential moving average of the loss (``m_i = β m_{i−1} + (1−β)
    loss_i``, bias-corrected) exceeds ``diverge`` × its minimum. The recorded losses
    are then smoothed by a centred moving average ``window`` decades wide (centred, so
    the curve does not lag behind the lr), and the suggestion is the α where the
    smoothed loss falls fastest *on a log scale* (most negative
    ``d log s / d log α``, before the minimum): the largest relative drop per
    step. For a quadratic loss each step multiplies the error by ``(1 − αλ)²``, so
    the relative drop is exactly what the learning rate controls. Afterwards the
    model (parameters, gradients, mode) and the optimizer (its ``state_dict`` and
    ``lr``) are restored.

    Parameters
    ----------
    model, loss_fn : the model and ``loss_fn(pred, target)``.
    loader : iterable of (x, y)
        Re-iterated when exhausted.
    optimizer : Optimizer, or factory ``f(params) -> Optimizer``, optional
        Default plain SGD. Its ``lr`` is overwritten at every step.
    start_lr, end_lr, num_steps : the range and the number of steps.
    window : float
        Width of the smoothing window, in decades of lr.
    plot : path, optional
        Also save the curve there (needs matplotlib).
    progress : bool, default True
        A progress bar when someone watches (a terminal or Jupyter; see
        ``tinygrad_edu.progress``).

    Returns
    -------
    LRFinderResult
        ``.suggested_lr``, the curves, ``str()`` a summary and ``.plot()``.

    Examples
    --------
    >>> import numpy as np, tinygrad_edu as tg
    >>> from tinygrad_edu import nn
    >>> from tinygrad_edu.data import DataLoader
    >>> import tinygrad_edu.nn.functional as F
    >>> _ = tg.manual_seed(0)
    >>> X = np.random.default_rng(0).normal(size=(256, 2)).astype(np.float32)
    >>> y = X @ np.array([[2.0], [-1.0]], dtype=np.float32)
    >>> model = nn.Linear(2, 1)
    >>> result = lr_find(model, F.mse_loss, DataLoader(X, y, batch_size=32, seed=0))
    >>> 1e-3 < result.suggested_lr < 1
    True
    """
    if not (0 < start_lr < end_lr):
        raise ValueError(
            f"lr_find: need 0 < start_lr < end_lr, got {start_lr}, {end_lr}"
        )
    if num_steps < 3:
        raise ValueError(f"lr_find: num_steps must be >= 3, got {num_steps}")
    opt = _make_optimizer(optimizer, model, start_lr)
    saved = _ModelState(model)
    opt_state = opt.state_dict() if hasattr(opt, "state_dict") else None
    opt_lr = getattr(opt, "lr", None)
    lrs = start_lr * (end_lr / start_lr) ** (np.arange(num_steps) / (num_steps - 1))
    losses: list[float] = []
    average, best, stopped = 0.0, math.inf, "reached end_lr"
    batches = iter(_cycle(loader))
    bar = progress_bar(num_steps, progress, desc="lr_find", unit="step")
    try:
        with _in_mode(model, True), np.errstate(all="ignore"):
            for i, lr in enumerate(lrs):
                opt.lr = float(lr)
                xb, yb = next(batches)
                try:
                    value = train_step(model, loss_fn, opt, xb, yb, caller="lr_find")
                except NonFiniteLossError as err:
                    stopped = f"loss became {err.loss} at lr {lr:.2g}"
                    break
                losses.append(value)
                if bar is not None:
                    bar.update(1)
                average = beta * average + (1 - beta) * value
                smooth = average / (1 - beta ** (i + 1))
                best = min(best, smooth)
                if i > 0 and smooth > diverge * best:
                    stopped = (
                        f"diverged at lr {lr:.2g} (smoothed loss > {diverge:g}× its "
                        "minimum)"
                    )
                    break
    finally:
        if bar is not None:
            bar.close()
        saved.restore()
        if opt_state is not None:
            opt.load_state_dict(opt_state)
        if opt_lr is not None:
            opt.lr = opt_lr
    if len(losses) < 3:
        raise RuntimeError(
            f"lr_find: the loss diverged at once ({stopped}); lower start_lr"
        )
    lrs = lrs[: len(losses)]
    suggested, curve = _suggest_lr(lrs, np.array(losses), window)
    lowest = int(np.argmin(curve))
    result = LRFinderResult(
        lrs, np.array(losses), curve, suggested, float(lrs[lowest]), stopped
    )
    if plot is not None:
        result.plot(plot)
    return result


# ======================================================================================

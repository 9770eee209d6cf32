"""fit(): the lecture's training loop, with validation, metrics, progress and a History.

How training works (the lecture):

1. in each *epoch*, randomly shuffle the training data (the ``DataLoader`` does it);
2. partition it into *mini-batches*;
3. for each mini-batch take one step of gradient descent, the gradient coming from
   backpropagation: ``zero_grad → forward → loss → backward → step``;
4. train for several epochs.

``fit`` is exactly that loop, plus bookkeeping: the mean training loss of each
epoch, the validation loss under ``no_grad``, metrics, a progress bar, and a stop
with a clear message when the loss becomes NaN or infinite.

Read next: ``linear.py`` (the same loop, written out for linear models).
"""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence, Union

import numpy as np

from .autograd import no_grad
from .tensor import Tensor

__all__ = ["fit", "evaluate", "History", "accuracy", "mse", "METRICS"]

Metric = Callable[[np.ndarray, np.ndarray], float]
MetricsArg = Union[str, Metric, Sequence[Union[str, Metric]], Mapping[str, Metric]]


# ---- metrics: (pred, target) NumPy arrays -> float -----------------------------------


def accuracy(pred: Any, target: Any, threshold: float = 0.0) -> float:
    """Fraction of samples classified correctly.

    * Several output columns (multi-class): the prediction is ``argmax`` over the
      last axis, compared with integer class labels (or with one-hot targets).
    * One score per sample (shape ``(n,)`` or ``(n, 1)``, binary): the sample is
      predicted positive when ``score > threshold``. The default threshold 0 suits
      logits and perceptron scores (``sigmoid(0) = 0.5``); pass ``threshold=0.5``
      (e.g. via ``functools.partial``) for probabilities. Targets in {0, 1} or
      {-1, +1} are positive when ``target > 0``.

    Examples
    --------
    >>> accuracy([[2.0, 0.1], [0.3, 0.9], [1.0, 3.0]], [0, 1, 0])
    0.6666666666666666
    >>> accuracy([1.5, -0.2, 0.3, -4.0], [1, -1, -1, -1])
    0.75
    """
    pred, target = np.asarray(pred), np.asarray(target)
    if pred.ndim >= 2 and pred.shape[-1] > 1:
        labels = pred.argmax(axis=-1)
        if target.shape == pred.shape:  # one-hot targets
            target = target.argmax(axis=-1)
        if labels.size != target.size:
            raise ValueError(
                f"accuracy: predictions {pred.shape} and targets {target.shape} "
                "have different numbers of samples"
            )
        return float(np.mean(labels.reshape(-1) == target.reshape(-1)))
    if pred.size != target.size:
        raise ValueError(
            f"accuracy: predictions {pred.shape} and targets {target.shape} "
            "differ in size"
        )
    predicted = pred.reshape(-1) > threshold
    return float(np.mean(predicted == (target.reshape(-1) > 0)))


def mse(pred: Any, target: Any) -> float:
    """Mean squared error ``1/n Σ_i (ŷ_i − y_i)²``; ``(n, 1)`` and ``(n,)`` are matched.

    Examples
    --------
    >>> mse([[1.0], [2.0]], [1.0, 4.0])
    2.0
    """
    pred, target = np.asarray(pred, dtype=np.float64), np.asarray(
        target, dtype=np.float64
    )
    if pred.size != target.size:
        raise ValueError(
            f"mse: predictions {pred.shape} and targets {target.shape} differ in size"
        )
    return float(np.mean((pred.reshape(-1) - target.reshape(-1)) ** 2))


METRICS: dict[str, Metric] = {"accuracy": accuracy, "mse": mse}


def _metric_name(fn: Callable) -> str:
    name = getattr(fn, "__name__", None) or getattr(
        getattr(fn, "func", None), "__name__", None
    )
    return name or type(fn).__name__


def _resolve_metrics(metrics: MetricsArg | None) -> list[tuple[str, Metric]]:
    """Names ("accuracy", "mse") or callables -> [(name, fn)], in the given order."""
    if metrics is None:
        return []
    if isinstance(metrics, Mapping):
        items = list(metrics.items())
    else:
        if isinstance(metrics, str) or callable(metrics):
            metrics = [metrics]  # a lone "accuracy" is not a sequence of characters
        items = []
        for m in metrics:
            if isinstance(m, str):
                if m not in METRICS:
                    raise ValueError(
                        f"fit: unknown metric {m!r}; choose from {sorted(METRICS)} "
                        "or pass a callable (pred, target) -> float"
                    )
                items.append((m, METRICS[m]))
            elif callable(m):
                items.append((_metric_name(m), m))
            else:
                raise TypeError(
                    f"fit: a metric must be a name or a callable, got {m!r}"
                )
    names = [name for name, _ in items]
    for name in names:
        if name == "loss" or name.startswith("val_") or names.count(name) > 1:
            raise ValueError(
                f"fit: metric name {name!r} is reserved or repeated (names: {names})"
            )
    return items


# ---- History -----------------------------------------------------------------------


class History:
    """Per-epoch records of a ``fit`` run, as in Keras.

    ``history.history`` maps each name (``"loss"``, ``"val_loss"``, ``"accuracy"``,
    ``"val_accuracy"``, ...) to a list with one value per epoch; the same lists are
    readable as attributes (``history.loss``) and by key (``history["loss"]``).

    Examples
    --------
    >>> h = History()
    >>> h.record("loss", 0.5); h.record("loss", 0.25)
    >>> h.loss, h.history
    ([0.5, 0.25], {'loss': [0.5, 0.25]})
    """

    def __init__(self) -> None:
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []

    def record(self, name: str, value: float) -> None:
        """Append one epoch's value of ``name``."""
        self.history.setdefault(name, []).append(float(value))

    def __getattr__(self, name: str) -> list[float]:
        # only called when normal lookup fails: unknown names raise, never return None
        history = self.__dict__.get("history", {})
        if name in history:
            return history[name]
        raise AttributeError(
            f"History has no record {name!r}; it has {sorted(history)}"
        )

    def __getitem__(self, name: str) -> list[float]:
        return self.history[name]

    def __contains__(self, name: object) -> bool:
        return name in self.history

    def __len__(self) -> int:
        """Number of epochs recorded."""
        return len(self.epoch)

    def __repr__(self) -> str:
        last = ", ".join(f"{k}={v[-1]:.4g}" for k, v in self.history.items() if v)
        return f"History(epochs={len(self)}{', ' if last else ''}{last})"

    def plot(self, path: str | Path) -> Path:
        """Draw the curves (one panel per quantity, training and validation together);
        the same picture as ``viz.plot_history(history, path)``.

        Needs matplotlib (``pip install tinygrad-edu[plot]``). Returns the path
        written; the format comes from its suffix (``.png``, ``.svg``, ``.pdf``).
        """
        from .viz import plot_history

        return plot_history(self, path)


# ---- the loop ----------------------------------------------------------------------


class _Means:
    """Running sample-weighted means: a batch of n samples counts n times."""

    def __init__(self) -> None:
        self.sums: dict[str, float] = {}
        self.count = 0

    def add(self, values: dict[str, float], n: int) -> None:
        for name, value in values.items():
            self.sums[name] = self.sums.get(name, 0.0) + value * n
        self.count += n

    def means(self) -> dict[str, float]:
        return {name: total / self.count for name, total in self.sums.items()}


def _as_batch(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _loss_value(loss: Any) -> float:
    if not isinstance(loss, Tensor):
        raise TypeError(f"fit: loss_fn must return a Tensor, got {type(loss).__name__}")
    if loss.size != 1:
        raise ValueError(
            f"fit: loss_fn must return a scalar, got shape {loss.shape} "
            "(use reduction='mean')"
        )
    return float(loss.item())


def _set_training(model: Any, training: bool) -> None:
    method = getattr(model, "train" if training else "eval", None)
    if callable(method):
        method()


def _progress_bar(total: int | None, enabled: bool) -> Any:
    """A tqdm bar when asked for and stderr is a terminal; otherwise None (silent)."""
    if not enabled or not sys.stderr.isatty():
        return None
    try:
        from tqdm import tqdm
    except (
        ImportError
    ):  # tqdm is a dependency, but a missing bar must not stop training
        return None
    return tqdm(total=total, unit="batch", file=sys.stderr, dynamic_ncols=True)


def evaluate(
    model: Callable[[Tensor], Tensor],
    loss_fn: Callable[[Tensor, Tensor], Tensor],
    loader: Iterable,
    metrics: MetricsArg | None = (),
) -> dict[str, float]:
    """Mean loss and metrics of ``model`` over ``loader``, under ``no_grad``.

    Means are over samples (each batch weighted by its size). The model is switched
    to evaluation mode (``model.eval()``) if it has one, and left there.

    Examples
    --------
    >>> import numpy as np
    >>> from tinygrad_edu.data import DataLoader
    >>> X, y = np.array([[1.0], [2.0]]), np.array([[1.0], [3.0]])
    >>> loader = DataLoader(X, y, shuffle=False)
    >>> def loss(pred, target):
    ...     return ((pred - target) ** 2).mean()
    >>> evaluate(lambda x: x * 2, loss, loader, metrics="mse")
    {'loss': 1.0, 'mse': 1.0}
    """
    return _evaluate(model, loss_fn, loader, _resolve_metrics(metrics))


def _evaluate(
    model: Any, loss_fn: Any, loader: Iterable, named: list
) -> dict[str, float]:
    _set_training(model, False)
    means = _Means()
    with no_grad():
        for xb, yb in loader:
            xb, yb = _as_batch(xb), _as_batch(yb)
            pred = model(xb)
            values = {"loss": _loss_value(loss_fn(pred, yb))}
            values.update((name, float(fn(pred.data, yb.data))) for name, fn in named)
            means.add(values, len(xb))
    if means.count == 0:
        raise ValueError("evaluate: the loader produced no batches")
    return means.means()


def _compiled_step(model: Callable, loss_fn: Callable, optimizer: Any) -> Callable:
    """fit's per-batch step under ``tg.compile`` (``fit(..., compile=True)``)."""
    from .compiler import compile as compile_step
    from .optim.optimizer import Optimizer

    if not isinstance(optimizer, Optimizer):
        raise TypeError(
            "fit(compile=True): the optimizer must be a tinygrad_edu.optim optimizer "
            f"(its step is recorded), got {type(optimizer).__name__}"
        )

    def train_step(xb: Tensor, yb: Tensor) -> tuple[Tensor, Tensor]:
        optimizer.zero_grad()
        pred = model(xb)
        loss = loss_fn(pred, yb)
        loss.backward()
        optimizer.step()
        return pred, loss

    return compile_step(train_step)


def fit(
    model: Callable[[Tensor], Tensor],
    loss_fn: Callable[[Tensor, Tensor], Tensor],
    optimizer: Any,
    train_loader: Iterable,
    epochs: int,
    val_loader: Iterable | None = None,
    metrics: MetricsArg | None = (),
    progress: bool = True,
    compile: bool = False,  # noqa: A002 - the feature's name (tg.compile)
) -> History:
    """Train ``model`` by mini-batch gradient descent: the lecture's loop.

    For each epoch, for each mini-batch ``(x, y)`` of ``train_loader``::

        optimizer.zero_grad()
        loss = loss_fn(model(x), y)      # forward: C = (1/m) Σ_i L(f(x_i; w), y_i)
        loss.backward()                  # backpropagation: ∂C/∂w for every w
        optimizer.step()                 # w ← w − α ∂C/∂w (or momentum, Adam, ...)

    then the validation set is evaluated under ``no_grad`` (``model.eval()``).

    Parameters
    ----------
    model : Module or callable
        Maps a batch Tensor to predictions. ``train()``/``eval()`` are called if it
        has them; it is left in training mode.
    loss_fn : callable
        ``loss_fn(pred, target)`` returning a scalar Tensor, e.g.
        ``nn.functional.mse_loss``.
    optimizer : Optimizer
        Anything with ``zero_grad()`` and ``step()``, built on the model's parameters.
    train_loader : iterable of (x, y)
        Usually a ``DataLoader``; iterated once per epoch.
    epochs : int
        Number of passes over the data, ``>= 1``.
    val_loader : iterable of (x, y), optional
        Evaluated after each epoch; adds ``"val_loss"`` and ``"val_<metric>"``.
    metrics : str, callable, sequence of them, or dict name -> callable
        ``"accuracy"`` (see :func:`accuracy`: argmax for several outputs, score > 0
        for one), ``"mse"``, or ``fn(pred, target) -> float`` called with NumPy
        arrays and recorded under ``fn.__name__``.
    progress : bool, default True
        Show a tqdm progress bar, only when stderr is a terminal; silent otherwise.
    compile : bool, default False
        Run each batch's step (zero_grad, forward, loss, backward, step) through
        ``tg.compile``: traced on the first batch, replayed after (a last, smaller
        batch is a second signature). Needs a ``tinygrad_edu.optim`` optimizer; the
        loss check below then runs after the update.

    Returns
    -------
    History
        ``history.history["loss"]`` is the mean training loss of each epoch (over
        samples, each batch weighted by its size, as the model was during that
        epoch); metrics on the training data are averaged the same way.

    Raises
    ------
    FloatingPointError
        When a batch's loss is NaN or infinite: training stops, and the message names
        the epoch and batch and suggests a lower learning rate. The exception's
        ``history`` attribute holds the epochs completed before.
    ValueError
        If ``epochs < 1`` or ``train_loader`` yields no batches.

    Examples
    --------
    >>> import numpy as np, tinygrad_edu as tg
    >>> from tinygrad_edu.data import DataLoader
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]]); y = 2 * X + 1
    >>> w = tg.Tensor([[0.0]], requires_grad=True)
    >>> b = tg.Tensor([0.0], requires_grad=True)
    >>> class GD:   # the simplest optimizer: w <- w - lr * dC/dw
    ...     def zero_grad(self): w.grad = b.grad = None
    ...     def step(self):
    ...         w.data -= 0.1 * w.grad.data; b.data -= 0.1 * b.grad.data
    >>> loss = lambda p, t: ((p - t) ** 2).mean()
    >>> loader = DataLoader(X, y, batch_size=4)
    >>> h = fit(lambda x: x @ w + b, loss, GD(), loader, epochs=200, progress=False)
    >>> round(h.loss[-1], 6), round(float(w.data[0, 0]), 3), round(float(b.data[0]), 3)
    (0.0, 2.0, 1.0)
    """
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)):
        raise TypeError(f"fit: epochs must be an int, got {epochs!r}")
    if epochs < 1:
        raise ValueError(f"fit: epochs must be >= 1, got {epochs}")
    named = _resolve_metrics(metrics)
    try:
        n_batches: int | None = len(train_loader)  # type: ignore[arg-type]
    except TypeError:
        n_batches = None
    compiled = _compiled_step(model, loss_fn, optimizer) if compile else None
    history = History()
    # every record exists from the start (empty), so a run stopped in its first epoch
    # still answers history.loss == []
    for name in ["loss", *(name for name, _ in named)]:
        history.history[name] = []
        if val_loader is not None:
            history.history[f"val_{name}"] = []
    bar = _progress_bar(epochs * n_batches if n_batches else None, progress)
    try:
        for epoch in range(1, epochs + 1):
            if bar is not None:
                bar.set_description(f"epoch {epoch}/{epochs}")
            _set_training(model, True)
            means = _Means()
            for batch, (xb, yb) in enumerate(train_loader, start=1):
                xb, yb = _as_batch(xb), _as_batch(yb)
                if compiled is None:
                    optimizer.zero_grad()
                    pred = model(xb)
                    loss = loss_fn(pred, yb)
                else:  # the whole step, replayed (the update is already done)
                    pred, loss = compiled(xb, yb)
                value = _loss_value(loss)
                if not math.isfinite(value):
                    err = FloatingPointError(
                        f"fit: the loss became {value} at epoch {epoch}, "
                        f"batch {batch}; training stopped. The steps are probably "
                        "too large: try a lower learning rate "
                        f"(lr={getattr(optimizer, 'lr', '?')}), and check the inputs "
                        "for huge values (standardise the features)."
                    )
                    err.history = history  # type: ignore[attr-defined]
                    raise err
                if compiled is None:
                    loss.backward()
                    optimizer.step()
                values = {"loss": value}
                values.update(
                    (name, float(fn(pred.data, yb.data))) for name, fn in named
                )
                means.add(values, len(xb))
                if bar is not None:
                    bar.update(1)
            if means.count == 0:
                raise ValueError(
                    "fit: train_loader produced no batches "
                    "(drop_last with too few samples?)"
                )
            history.epoch.append(epoch)
            for name, value in means.means().items():
                history.record(name, value)
            if val_loader is not None:
                for name, value in _evaluate(model, loss_fn, val_loader, named).items():
                    history.record(f"val_{name}", value)
            if bar is not None:
                bar.set_postfix({k: f"{v[-1]:.4g}" for k, v in history.history.items() if v})
    finally:
        if bar is not None:
            bar.close()
        _set_training(model, True)
    return history

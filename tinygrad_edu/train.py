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
from typing import Any, Callable, Iterable

import numpy as np

from .autograd import no_grad
from .history import History
from .metrics import METRICS, MetricsArg, accuracy, mse, resolve_metrics
from .metrics import threshold_for_loss
from .progress import progress_bar
from .tensor import Tensor

__all__ = [
    "fit",
    "train_step",
    "evaluate",
    "History",
    "NonFiniteLossError",
    "accuracy",
    "mse",
    "METRICS",
]


# ---- one step of training ----------------------------------------------------------


class NonFiniteLossError(FloatingPointError):
    """The loss of a training step was NaN or infinite (``.loss`` holds it); the
    step stopped before ``backward``, so the parameters are unchanged."""


def as_tensor_batch(x: Any) -> Tensor:
    """A batch as a Tensor (arrays and lists are wrapped, Tensors kept)."""
    return x if isinstance(x, Tensor) else Tensor(x)


def loss_item(loss: Any, where: str) -> float:
    """The float of a scalar loss Tensor; a clear error naming ``where`` otherwise."""
    if not isinstance(loss, Tensor):
        raise TypeError(
            f"{where}: loss_fn must return a Tensor, got {type(loss).__name__}"
        )
    if loss.size != 1:
        raise ValueError(
            f"{where}: loss_fn must return a scalar, got shape {loss.shape} "
            "(use reduction='mean')"
        )
    return float(loss.item())


def set_training_mode(model: Any, training: bool) -> None:
    """``model.train()`` or ``model.eval()`` when the model has them (a Module: all
    its submodules); a plain function or a list of parameters has no mode."""
    method = getattr(model, "train" if training else "eval", None)
    if callable(method):
        method()


def train_step(
    model: Callable[[Tensor], Tensor],
    loss_fn: Callable[[Tensor, Tensor], Tensor],
    optimizer: Any,
    x: Any,
    y: Any,
    *,
    return_output: bool = False,
    caller: str = "train_step",
) -> Any:
    """One step of gradient descent on the batch ``(x, y)``: the lecture's loop body.

    ::

        optimizer.zero_grad()        # 1. forget the previous step's gradient
        output = model(x)            # 2. forward
        loss = loss_fn(output, y)    # 3. C = (1/m) Σ_i L(f(x_i; w), y_i)
        loss.backward()              # 4. backpropagation: ∂C/∂w for every w
        optimizer.step()             # 5. w ← w − α ∂C/∂w (or momentum, Adam,
        ...)

    ``zero_grad`` comes first, once: gradients accumulate, so the step must start
    from none, whatever ran before it (a gradient check, your own ``backward()``);
    and after the step the gradients stay readable (``debug.gradient_stats``) until
    the next step clears them. ``fit``, the demo, the linear models, ``lr_find``,
    ``overfit_one_batch`` and ``diagnose`` all train through this function.

    The model's train/eval mode is the caller's business (``fit`` sets it). Error
    messages name ``caller``: the function the user called (``fit`` passes
    ``"fit"``).

    Returns
    -------
    float
        The loss of this batch *before* the update; ``(loss, output)`` with
        ``return_output=True`` (``fit`` computes its metrics on that output).

    Raises
    ------
    NonFiniteLossError
        (a ``FloatingPointError``) when the loss is NaN or infinite; raised before
        ``backward``, so the parameters keep their last finite values.

    Examples
    --------
    >>> import tinygrad_edu as tg
    >>> from tinygrad_edu import nn, optim
    >>> w = nn.Parameter([1.0])
    >>> opt = optim.SGD([w], lr=0.25)
    >>> loss = lambda out, target: ((out - target) ** 2).mean()
    >>> train_step(lambda x: x * w, loss, opt, [2.0], [0.0])   # (2·1 − 0)²
    4.0
    >>> w.item()  # 1 − 0.25 · ∂C/∂w = 1 − 0.25 · 8
    -1.0
    """
    x, y = as_tensor_batch(x), as_tensor_batch(y)
    value = None

    def check(loss: Tensor) -> None:
        nonlocal value
        value = loss_item(loss, caller)
        if not math.isfinite(value):
            err = NonFiniteLossError(
                f"{caller}: the loss is {value}; the step stopped before backward"
            )
            err.loss = value  # type: ignore[attr-defined]
            raise err

    output, _ = _step(model, loss_fn, optimizer, x, y, check)
    return (value, output) if return_output else value


def _step(model, loss_fn, optimizer, x, y, check=None) -> tuple[Tensor, Tensor]:
    """The five lines of :func:`train_step`, with an optional ``check(loss)`` before
    backward; ``fit(compile=True)`` compiles them without it (a compiled function
    cannot read the loss while it is being traced)."""
    optimizer.zero_grad()
    output = model(x)
    loss = loss_fn(output, y)
    if check is not None:
        check(loss)
    loss.backward()
    optimizer.step()
    return output, loss


def _compiled_step(model: Callable, loss_fn: Callable, optimizer: Any) -> Callable:
    """fit's per-batch step under ``tg.compile`` (``fit(..., compile=True)``)."""
    from .compiler import compile as compile_step
    from .optim.optimizer import Optimizer

    if not isinstance(optimizer, Optimizer):
        raise TypeError(
            "fit(compile=True): the optimizer must be a tinygrad_edu.optim optimizer "
            f"(its step is recorded), got {type(optimizer).__name__}"
        )

    def compiled_train_step(xb: Tensor, yb: Tensor) -> tuple[Tensor, Tensor]:
        return _step(model, loss_fn, optimizer, xb, yb)

    return compile_step(compiled_train_step)


# ---- the loop ----------------------------------------------------------------------


def _is_iterable(obj: Any) -> bool:
    """Whether ``for batch in obj`` can work, without calling ``iter`` (a shuffling
    loader would draw its permutation, changing the run's random stream)."""
    cls = type(obj)
    return hasattr(cls, "__iter__") or hasattr(cls, "__getitem__")


def _check_arguments(who: str, model: Any, loss_fn: Any, **loaders: Any) -> None:
    """The up-front checks of ``fit`` and ``evaluate``: once per call, not per batch,
    so that a wrong argument fails at once, named, instead of deep in the loop as
    "'NoneType' object is not iterable"."""
    if not callable(model):
        raise TypeError(
            f"{who}: model must be callable (a Module or a function of a batch), "
            f"got {type(model).__name__}"
        )
    if not callable(loss_fn):
        raise TypeError(
            f"{who}: loss_fn must be callable, loss_fn(pred, target) -> scalar Tensor "
            f"(e.g. nn.functional.mse_loss), got {type(loss_fn).__name__}"
        )
    for name, loader in loaders.items():
        if not _is_iterable(loader):
            raise TypeError(
                f"{who}: {name} must be an iterable of (x, y) batches, such as a "
                f"data.DataLoader, got {type(loader).__name__}"
            )


def _check_optimizer(who: str, optimizer: Any) -> None:
    missing = [
        f"{m}()"
        for m in ("zero_grad", "step")
        if not callable(getattr(optimizer, m, None))
    ]
    if missing:
        raise TypeError(
            f"{who}: optimizer must have zero_grad() and step() (e.g. "
            f"optim.SGD(model.parameters(), lr=0.1)), got {type(optimizer).__name__} "
            f"without {' and '.join(missing)}"
        )


def _pair(batch: Any, who: str, loader: str, index: int) -> tuple[Any, Any]:
    """``(x, y)`` of one batch; a clear error for anything else (a loader of x only,
    or of (x, y, weight), would fail as "too many values to unpack")."""
    if not isinstance(batch, (tuple, list)):
        raise TypeError(
            f"{who}: batch {index} of {loader} is a {type(batch).__name__}, not an "
            "(x, y) pair; the loader must yield (inputs, targets)"
        )
    if len(batch) != 2:
        raise ValueError(
            f"{who}: batch {index} of {loader} has {len(batch)} items, not 2; the "
            "loader must yield (inputs, targets) pairs"
        )
    return batch[0], batch[1]


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
    _check_arguments("evaluate", model, loss_fn, loader=loader)
    named = resolve_metrics(metrics, threshold_for_loss(loss_fn, model))
    return _evaluate(model, loss_fn, loader, named)


def _evaluate(
    model: Any,
    loss_fn: Any,
    loader: Iterable,
    named: list,
    who: str = "evaluate",
    loader_name: str = "the loader",
) -> dict[str, float]:
    set_training_mode(model, False)
    means = _Means()
    with no_grad():
        for index, batch in enumerate(loader, start=1):
            xb, yb = _pair(batch, who, loader_name, index)
            xb, yb = as_tensor_batch(xb), as_tensor_batch(yb)
            pred = model(xb)
            values = {"loss": loss_item(loss_fn(pred, yb), who)}
            values.update((name, float(fn(pred.data, yb.data))) for name, fn in named)
            means.add(values, len(xb))
    if means.count == 0:
        raise ValueError(f"{who}: {loader_name} produced no batches")
    return means.means()


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

    For each epoch, for each mini-batch ``(x, y)`` of ``train_loader``, one
    :func:`train_step`::

        optimizer.zero_grad()
        loss = loss_fn(model(x), y)      # forward: C = (1/m) Σ_i L(f(x_i; w), y_i)
        loss.backward()                  # backpropagation: ∂C/∂w for every w
        optimizer.step()                 # w ← w − α ∂C/∂w (or momentum, Adam,
        ...)

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
        ``"accuracy"``, ``"mse"``, or ``fn(pred, target) -> float`` called with
        NumPy arrays and recorded under ``fn.__name__``. The accuracy rule: several
        output columns → argmax; one column → positive when ``pred > threshold``,
        the threshold coming from the loss (:func:`metrics.threshold_for_loss`):
        0.5 for ``binary_cross_entropy`` (probabilities), 0 for ``*_with_logits``,
        hinge and perceptron losses (scores; with ±1 labels, the sign); for other
        losses 0.5 when the model's last layer is a sigmoid, else 0. For another
        rule pass ``{"accuracy": functools.partial(accuracy, threshold=t)}``.
    progress : bool, default True
        Show a progress bar (``tqdm.auto``: a widget in Jupyter, text in a
        terminal) when someone watches: stderr is a terminal or the code runs in a
        Jupyter kernel. Silent when False, and in logs, pipes and CI.
    compile : bool, default False
        Run each batch's step (zero_grad, forward, loss, backward, step) through
        ``tg.compile``: traced on the first batch, replayed after (a last, smaller
        batch is a second signature). Needs a ``tinygrad_edu.optim`` optimizer; the
        NaN-loss check then runs after that batch's update.

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
    KeyboardInterrupt
        Ctrl-C (or the stop button in Jupyter) stops training; the exception is
        re-raised with ``err.history`` holding every epoch finished before it
        (the epoch interrupted is not recorded)::

            try:
                history = fit(...)
            except KeyboardInterrupt as err:
                history = err.history
    ValueError
        If ``epochs < 1``, ``train_loader`` yields no batches, or a batch has
        other than two items.
    TypeError
        At once, before any training, when ``model`` or ``loss_fn`` is not
        callable, ``optimizer`` lacks ``zero_grad``/``step``, a loader is not
        iterable or ``epochs`` is not an int; and when a batch is not an
        ``(x, y)`` tuple or list.

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
    _check_arguments("fit", model, loss_fn, train_loader=train_loader)
    _check_optimizer("fit", optimizer)
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)):
        raise TypeError(f"fit: epochs must be an int, got {epochs!r}")
    if epochs < 1:
        raise ValueError(f"fit: epochs must be >= 1, got {epochs}")
    if val_loader is not None:
        _check_arguments("fit", model, loss_fn, val_loader=val_loader)
    named = resolve_metrics(metrics, threshold_for_loss(loss_fn, model))
    compiled = _compiled_step(model, loss_fn, optimizer) if compile else None
    history = History()
    # every record exists from the start (empty), so a run stopped in its first epoch
    # still answers history.loss == []
    for name in ["loss", *(name for name, _ in named)]:
        history.history[name] = []
        if val_loader is not None:
            history.history[f"val_{name}"] = []
    try:
        n_batches: int | None = len(train_loader)  # type: ignore[arg-type]
    except TypeError:
        n_batches = None
    bar = progress_bar(
        epochs * n_batches if n_batches else None, progress, unit="batch"
    )
    try:
        for epoch in range(1, epochs + 1):
            if bar is not None:
                bar.set_description(f"epoch {epoch}/{epochs}")
            means = _train_epoch(
                model, loss_fn, optimizer, train_loader, named, epoch, bar, compiled
            )
            history.epoch.append(epoch)
            for name, value in means.items():
                history.record(name, value)
            if val_loader is not None:
                scores = _evaluate(
                    model, loss_fn, val_loader, named, "fit", "val_loader"
                )
                for name, value in scores.items():
                    history.record(f"val_{name}", value)
            if bar is not None:
                bar.set_postfix(
                    {k: f"{v[-1]:.4g}" for k, v in history.history.items() if v}
                )
    except (KeyboardInterrupt, FloatingPointError) as err:
        # keep the finished epochs: Ctrl-C or a NaN must not lose the curves so far
        err.history = history  # type: ignore[attr-defined]
        raise
    finally:
        if bar is not None:
            bar.close()
        set_training_mode(model, True)
    return history


def _train_epoch(
    model: Any,
    loss_fn: Any,
    optimizer: Any,
    loader: Iterable,
    named: list,
    epoch: int,
    bar: Any,
    compiled: Callable | None = None,
) -> dict[str, float]:
    """One pass of ``train_step`` (or of its ``compiled`` replay) over ``loader``: the
    epoch's mean loss and metrics."""
    set_training_mode(model, True)
    means = _Means()
    for batch, pair in enumerate(loader, start=1):
        xb, yb = _pair(pair, "fit", "train_loader", batch)
        xb, yb = as_tensor_batch(xb), as_tensor_batch(yb)
        try:
            if compiled is None:
                value, pred = train_step(
                    model, loss_fn, optimizer, xb, yb, return_output=True, caller="fit"
                )
            else:  # the whole step replayed: the update is already done
                pred, loss = compiled(xb, yb)
                value = loss_item(loss, "fit")
                if not math.isfinite(value):
                    raise NonFiniteLossError(value)
        except NonFiniteLossError as err:
            loss_value = getattr(err, "loss", err.args[0] if err.args else "?")
            raise FloatingPointError(
                f"fit: the loss became {loss_value} at epoch {epoch}, "
                f"batch {batch}; training stopped. The steps are probably too large: "
                f"try a lower learning rate (lr={getattr(optimizer, 'lr', '?')}), and "
                "check the inputs for huge values (standardise the features)."
            ) from err
        values = {"loss": value}
        values.update((name, float(fn(pred.data, yb.data))) for name, fn in named)
        means.add(values, len(xb))
        if bar is not None:
            bar.update(1)
    if means.count == 0:
        raise ValueError(
            "fit: train_loader produced no batches (drop_last with too few samples?)"
        )
    return means.means()

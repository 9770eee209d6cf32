"""diagnose(): one report answering the lecture's debugging questions, in its order.

Each question lives in its own file under ``diagnosis/`` (``learning_rate.py``,
``initialisation.py``, ``more_data.py``, ``architecture.py``, ``more_epochs.py``,
``features.py``); this driver asks them in turn and orders the findings by root cause.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from ..progress import progress_bar
from ._common import LossFn
from .diagnosis import (
    architecture,
    features,
    initialisation,
    learning_rate,
    more_data,
    more_epochs,
)
from .diagnosis.report import DiagnosisReport, Section, link_consequences
from .diagnosis.trial import Trial, data_arrays

__all__ = ["diagnose", "DiagnosisReport", "Section"]


def diagnose(
    model: Any,
    loss_fn: LossFn,
    optimizer_factory: Callable,
    train: Any,
    val: Any = None,
    *,
    epochs: int | None = None,
    budget: float = 80,
    batch_size: int | None = None,
    lrs: Sequence[float] = (1.0, 0.1, 0.01),
    feature_names: Sequence[str] | None = None,
    seed: int = 0,
    progress: bool = True,
) -> DiagnosisReport:
    """One report answering the lecture's debugging questions, each with evidence.

    Every training below starts from the model's current (initial) parameters and
    the model is restored at the end. ``optimizer_factory(params)`` builds the
    optimizer to diagnose (e.g. ``lambda p: optim.SGD(p, lr=0.1)``); its ``lr`` is
    "your" learning rate, and the sweep sets ``opt.lr`` to the others. The losses
    compared are full-data losses in eval mode; "baseline" is the loss of the best
    *constant* prediction (a model that ignores x).

    1. **Learning rate?** Train ``epochs`` epochs at your lr and at each of ``lrs``
       (the lecture's ``[1, 0.1, 0.01]``), and your lr once more with another
       shuffle: the difference between those two is the run-to-run *noise*. A
       change counts only beyond ``max(3·noise, 1% of the baseline)``. Each run
       diverges (NaN, or ends above its start), oscillates (the loss jumps up
       repeatedly) or converges; your lr is "too large" if it diverges/oscillates
       or a smaller lr ends lower by more than that margin and 5% of the achievable
       drop, "too small" if a larger one does.
    2. **Initialise differently?** At init: dead ReLUs (units off for every sample),
       saturated sigmoid/tanh outputs, the first/last layer gradient ratio
       (vanishing gradients), the initial loss against the baseline.
    3. **More data?** Learning curve: the same number of steps on 25%, 50% and 100%
       of the training set; more data helps when the validation loss still falls
       from 50% to 100% (> 10%) and there is a train/val gap (> 10%).
    4. **Architecture?** Underfitting when the trained model's train loss is above
       half the baseline, no longer falling, and a better fit is shown to exist: 5
       nearest neighbours predict the validation set clearly better (accuracy, or
       R² for regression) than the model fits its training set (a linear model
       cannot learn XOR). When they do no better, the loss looks like noise in the
       data: "no (noisy data)". Overfitting when val − train > 10% of the baseline
       and val > 1.5 × train.
    5. **More epochs?** Train ``epochs`` more: yes when the validation loss falls by
       more than 5%; "no (overfitting)" when it rises by 5% while the train loss falls.
    6. **Relevant features?** (2-D inputs) Are they standardised (mean 0, std 1)?
       Does x predict y at all (5 nearest neighbours on the validation set against
       chance: model-free)? Which does the trained model use: input-gradient
       saliency ``mean_n |∂C_n/∂x_nj| · std_j`` and permutation importance (the
       rise of the validation loss when column j is shuffled, 5 repeats); a feature
       whose importance is < 1% of the largest looks irrelevant.

    The questions are asked in that order; the findings are then ordered by root
    cause (features' scale or signal, initialisation, learning rate, architecture,
    epochs, data): a problem explained by one upstream (dead ReLUs make the model
    underfit and look blind to its features) is reported as following from it and
    not flagged, so ``report.flagged`` lists what to change, first things first.

    Parameters
    ----------
    train, val : (X, y) pairs or DataLoaders
        ``val=None`` holds out 20% of ``train``.
    epochs : int, optional
        Length of each training run; default ``max(1, budget // 8)`` (a full
        diagnosis costs about 8 runs).
    budget : float, default 80
        The most epochs (passes over the full training set) diagnose may spend;
        sections that do not fit are skipped and say so.
    batch_size : int, optional
        Default: the DataLoader's, else 32.
    feature_names : list of str, optional
        Default ``x0, x1, ...``.
    seed : int
        Shuffling, subsets and permutations; the runs are deterministic.
    progress : bool, default True
        A progress bar over the questions when someone watches (terminal, Jupyter).

    Returns
    -------
    DiagnosisReport
        ``report["learning_rate"].verdict``, ``report.flagged``, ``print(report)``
        (``repr`` is a one-line-per-question summary; an HTML table in Jupyter).

    Examples
    --------
    >>> import numpy as np, tinygrad_edu as tg
    >>> from tinygrad_edu import nn, optim
    >>> import tinygrad_edu.nn.functional as F
    >>> _ = tg.manual_seed(0)
    >>> X = np.random.default_rng(0).normal(size=(100, 2)).astype(np.float32)
    >>> y = X @ np.array([[2.0], [0.0]], dtype=np.float32)
    >>> report = diagnose(nn.Linear(2, 1), F.mse_loss, lambda p: optim.SGD(p, lr=10),
    ...                   (X[:80], y[:80]), (X[80:], y[80:]), budget=16)
    >>> report["learning_rate"].verdict, report["features"].evidence["ranking"]
    ('too large', ['x0', 'x1'])
    """
    trial = _trial(
        model, loss_fn, optimizer_factory, train, val, epochs, budget, batch_size, seed
    )
    questions = [
        lambda: learning_rate.answer(trial, lrs),
        lambda: initialisation.answer(trial),
        lambda: more_data.answer(trial),
        lambda: architecture.answer(trial),
        lambda: more_epochs.answer(trial),
        lambda: features.answer(trial, feature_names),
    ]
    report = DiagnosisReport()
    bar = progress_bar(len(questions), progress, desc="diagnose", unit="question")
    try:
        for ask in questions:  # the lecture's order
            section = ask()
            report[section.key] = section
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
        trial.initial.restore()
    link_consequences(report)
    report.header = (
        f"diagnose: {type(model).__name__}, {len(trial.X)} training / {len(trial.Xv)} "
        f"validation samples, batch size {trial.batch_size}, {trial.epochs} epochs per "
        f"run, your lr {trial.user_lr:g}; spent {trial.budget.spent:g} of a budget of "
        f"{trial.budget.total:g} epochs. Baseline (best constant prediction) loss "
        f"{trial.baseline:.4g}; initial loss {trial.initial_loss:.4g}."
    )
    return report


def _trial(
    model: Any,
    loss_fn: LossFn,
    optimizer_factory: Callable,
    train: Any,
    val: Any,
    epochs: int | None,
    budget: float,
    batch_size: int | None,
    seed: int,
) -> Trial:
    """Check the arguments, hold out validation data if none is given."""
    X, y, loader_batch = data_arrays(train, "train")
    if val is None:  # hold out 20%
        order = np.random.default_rng(seed).permutation(len(X))
        cut = max(1, len(X) // 5)
        Xv, yv, X, y = X[order[:cut]], y[order[:cut]], X[order[cut:]], y[order[cut:]]
    else:
        Xv, yv, _ = data_arrays(val, "val")
    run_epochs = int(epochs) if epochs is not None else max(1, int(budget // 8))
    if run_epochs < 1:
        raise ValueError(f"diagnose: epochs must be >= 1, got {epochs}")
    is_class = isinstance(optimizer_factory, type)
    if (hasattr(optimizer_factory, "step") and not is_class) or not callable(
        optimizer_factory
    ):
        raise TypeError(
            "diagnose: optimizer_factory must build a fresh optimizer for each run, "
            "e.g. lambda params: optim.SGD(params, lr=0.1), not an optimizer object"
        )
    return Trial(
        model,
        loss_fn,
        optimizer_factory,
        (X, y, Xv, yv),
        run_epochs,
        budget,
        int(batch_size or loader_batch or 32),
        seed,
    )

"""diagnose(): one report with a section per lecture question."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from ..autograd import enable_grad, gradients, no_grad
from ..tensor import Tensor
from ..train import NonFiniteLossError, train_step
from ._common import LossFn, _array, _eval_loss, _in_mode, _ModelState, _table
from .stats import activation_stats, gradient_stats


@dataclass
class Section:
    """One question of ``diagnose``: its ``verdict`` (a short phrase), whether it is
    ``flagged`` (something should change), a plain ``recommendation``, the numbers
    used (``evidence``) and their printout (``details``)."""

    key: str
    question: str
    verdict: str
    flagged: bool
    recommendation: str
    evidence: dict = field(default_factory=dict)
    details: str = ""

    def __str__(self) -> str:
        mark = "!!" if self.flagged else "ok"
        lines = [f"[{mark}] {self.question}  ->  {self.verdict.upper()}"]
        if self.details:
            lines += ["     " + line for line in self.details.splitlines()]
        lines.append(f"     => {self.recommendation}")
        return "\n".join(lines)


class DiagnosisReport(dict):
    """``{section key: Section}`` in the lecture's order: ``learning_rate``,
    ``initialisation``, ``more_data``, ``architecture``, ``more_epochs``,
    ``features``. ``flagged`` lists the sections asking for a change; ``str()`` is
    the whole report."""

    header: str = ""

    @property
    def flagged(self) -> list[str]:
        return [key for key, s in self.items() if s.flagged]

    def __str__(self) -> str:
        parts = [self.header, ""]
        parts += [f"{i}. {s}" for i, s in enumerate(self.values(), start=1)]
        todo = [f"  - {s.key}: {s.recommendation}" for s in self.values() if s.flagged]
        parts += ["", "what to change:" if todo else "nothing flagged."] + todo
        return "\n".join(parts)

    __repr__ = __str__


class _Budget:
    """Epochs left to spend (one epoch = one pass over the full training set)."""

    def __init__(self, total: float) -> None:
        self.total, self.spent = float(total), 0.0

    def fits(self, cost: float) -> bool:
        return self.spent + cost <= self.total + 1e-9

    def spend(self, cost: float) -> None:
        self.spent += cost


@dataclass
class _Run:
    lr: float
    train: list[float]  # full-data loss at init and after each epoch
    val: list[float]
    diverged: bool
    state: dict | None = None
    opt_state: dict | None = None
    behaviour: str = ""


def _train_run(
    model: Any,
    loss_fn: LossFn,
    opt: Any,
    X: np.ndarray,
    y: np.ndarray,
    Xv: np.ndarray,
    yv: np.ndarray,
    epochs: int,
    batch_size: int,
    seed: int,
    lr: float,
    curve: bool = True,
) -> _Run:
    """Plain mini-batch training (as ``train.fit``), stopping quietly on NaN/Inf."""
    from ..data import DataLoader

    loader = DataLoader(X, y, batch_size=batch_size, shuffle=True, seed=seed)
    run = _Run(
        lr,
        [_eval_loss(model, loss_fn, X, y)],
        [_eval_loss(model, loss_fn, Xv, yv)],
        False,
    )
    for epoch in range(epochs):
        with _in_mode(model, True), np.errstate(all="ignore"):
            for xb, yb in loader:
                try:
                    train_step(model, loss_fn, opt, xb, yb, caller="diagnose")
                except NonFiniteLossError:
                    run.diverged = True
                    break
        if run.diverged or curve or epoch == epochs - 1:
            run.train.append(_eval_loss(model, loss_fn, X, y))
            run.val.append(_eval_loss(model, loss_fn, Xv, yv))
            run.diverged = run.diverged or not math.isfinite(run.train[-1])
        if run.diverged:
            break
    return run


def _behaviour(curve: list[float]) -> str:
    """'diverges' (NaN/Inf or ends above its start), 'oscillates' (the loss jumps up
    repeatedly) or 'converges'."""
    c = np.array(curve, dtype=np.float64)
    if not np.all(np.isfinite(c)) or c[-1] > c[0]:
        return "diverges"
    rises = np.diff(c) > 0.1 * (c[0] - c.min())
    if len(rises) >= 2 and rises.sum() >= max(2, len(rises) // 4):
        return "oscillates"
    return "converges"


def _constant_baseline(
    model: Any, loss_fn: LossFn, X: np.ndarray, y: np.ndarray
) -> float:
    """The loss of the best constant prediction (the same output for every sample),
    fitted by Adam on the loss itself: the 'knows nothing about x' reference."""
    from ..optim import Adam

    with no_grad():
        out_shape = model(Tensor._from_array(X[:1])).shape[1:]
    start = np.zeros(out_shape)
    if y.shape[1:] == tuple(out_shape) and y.dtype.kind == "f":
        start = y.astype(np.float64).mean(axis=0)
    c = Tensor(start.astype(np.float64), requires_grad=True)
    opt = Adam([c], lr=0.05)
    ones = Tensor(np.ones((len(X),) + (1,) * len(out_shape)))
    yt = Tensor._from_array(y)
    with enable_grad(), np.errstate(all="ignore"):
        for _ in range(200):
            try:
                train_step(lambda x: x * c, loss_fn, opt, ones, yt)
            except NonFiniteLossError:
                break
        with no_grad():
            return float(loss_fn(ones * c, yt).item())


def _arrays(data: Any, what: str) -> tuple[np.ndarray, np.ndarray, int | None]:
    """(X, y, batch size or None) from a DataLoader or an (X, y) pair."""
    from ..data import DataLoader

    if hasattr(data, "X") and hasattr(data, "y"):
        return data.X, data.y, getattr(data, "batch_size", None)
    try:
        X, y = data
    except (TypeError, ValueError):
        raise TypeError(
            f"diagnose: {what} must be an (X, y) pair or a DataLoader"
        ) from None
    loader = DataLoader(
        _array(X), _array(y), shuffle=False
    )  # its dtype rules and checks
    return loader.X, loader.y, None


def _rel(a: float, b: float) -> float:
    """(a − b) / |a|, 0 when a is 0."""
    return (a - b) / abs(a) if a else 0.0


def _layers_at_least(stats: dict, key: str, threshold: float) -> dict[str, float]:
    """{layer: stats[layer][key]} for the layers where that fraction is >= threshold."""
    return {
        name: row[key]
        for name, row in stats.items()
        if row[key] is not None and row[key] >= threshold
    }


def diagnose(
    model: Any,
    loss_fn: LossFn,
    optimizer_factory: Callable,
    train: Any,
    val: Any = None,
    *,
    epochs: int | None = None,
    budget: float = 70,
    batch_size: int | None = None,
    lrs: Sequence[float] = (1.0, 0.1, 0.01),
    feature_names: Sequence[str] | None = None,
    seed: int = 0,
) -> DiagnosisReport:
    """One report answering the lecture's debugging questions, each with evidence.

    Every training below starts from the model's current (initial) parameters and
    the model is restored at the end. ``optimizer_factory(params)`` builds the
    optimizer to diagnose (e.g. ``lambda p: optim.SGD(p, lr=0.1)``); its ``lr`` is
    "your" learning rate, and the sweep sets ``opt.lr`` to the others. The losses
    compared are full-data losses in eval mode; "baseline" is the loss of the best
    *constant* prediction (a model that ignores x).

    1. **Learning rate?** Train ``epochs`` epochs at your lr and at each of ``lrs``
       (the lecture's ``[1, 0.1, 0.01]``). Each run diverges (NaN, or ends above its
       start), oscillates (the loss jumps up repeatedly) or converges; your lr is
       "too large" if it diverges/oscillates or a smaller lr ends clearly lower
       (by > 5% of the achievable drop), "too small" if a larger one does.
    2. **Initialise differently?** At init: dead ReLUs (units off for every sample),
       saturated sigmoid/tanh outputs, the first/last layer gradient ratio
       (vanishing gradients), the initial loss against the baseline, input scaling.
    3. **More data?** Learning curve: the same number of steps on 25%, 50% and 100%
       of the training set; more data helps when the validation loss still falls
       from 50% to 100% (> 10%) and there is a train/val gap (> 10%).
    4. **Architecture?** Underfitting when the trained model's train loss is above
       half the baseline and no longer falling (more capacity needed: a linear model
       cannot learn XOR); overfitting when val − train > 10% of the baseline and
       val > 1.5 × train.
    5. **More epochs?** Train ``epochs`` more: yes when the validation loss falls by
       more than 5%; "no (overfitting)" when it rises by 5% while the train loss falls.
    6. **Relevant features?** (2-D inputs) On the trained model and the validation set:
       input-gradient saliency ``mean_n |∂C_n/∂x_nj| · std_j`` and permutation
       importance (the rise of the validation loss when column j is shuffled,
       5 repeats); a feature whose importance is < 1% of the largest looks irrelevant.

    Parameters
    ----------
    train, val : (X, y) pairs or DataLoaders
        ``val=None`` holds out 20% of ``train``.
    epochs : int, optional
        Length of each training run; default ``max(1, budget // 7)`` (a full
        diagnosis costs about 7 runs).
    budget : float, default 70
        The most epochs (passes over the full training set) diagnose may spend;
        sections that do not fit are skipped and say so.
    batch_size : int, optional
        Default: the DataLoader's, else 32.
    feature_names : list of str, optional
        Default ``x0, x1, ...``.
    seed : int
        Shuffling, subsets and permutations; the runs are deterministic.

    Returns
    -------
    DiagnosisReport
        ``report["learning_rate"].verdict``, ``report.flagged``, ``print(report)``.

    Examples
    --------
    >>> import numpy as np, tinygrad_edu as tg
    >>> from tinygrad_edu import nn, optim
    >>> import tinygrad_edu.nn.functional as F
    >>> _ = tg.manual_seed(0)
    >>> X = np.random.default_rng(0).normal(size=(100, 2)).astype(np.float32)
    >>> y = X @ np.array([[2.0], [0.0]], dtype=np.float32)
    >>> report = diagnose(nn.Linear(2, 1), F.mse_loss, lambda p: optim.SGD(p, lr=10),
    ...                   (X[:80], y[:80]), (X[80:], y[80:]), budget=14)
    >>> report["learning_rate"].verdict, report["features"].evidence["ranking"]
    ('too large', ['x0', 'x1'])
    """
    X, y, loader_bs = _arrays(train, "train")
    if val is None:
        order = np.random.default_rng(seed).permutation(len(X))
        cut = max(1, len(X) // 5)
        Xv, yv, X, y = X[order[:cut]], y[order[:cut]], X[order[cut:]], y[order[cut:]]
    else:
        Xv, yv, _ = _arrays(val, "val")
    bs = int(batch_size or loader_bs or 32)
    E = int(epochs) if epochs is not None else max(1, int(budget // 7))
    if E < 1:
        raise ValueError(f"diagnose: epochs must be >= 1, got {epochs}")
    money = _Budget(budget)
    initial = _ModelState(model)
    params = list(model.parameters())
    is_class = isinstance(optimizer_factory, type)
    if (hasattr(optimizer_factory, "step") and not is_class) or not callable(
        optimizer_factory
    ):
        raise TypeError(
            "diagnose: optimizer_factory must build a fresh optimizer for each run, "
            "e.g. lambda params: optim.SGD(params, lr=0.1), not an optimizer object"
        )
    user_lr = float(optimizer_factory(params).lr)
    report = DiagnosisReport()
    try:
        baseline = _constant_baseline(model, loss_fn, X, y)
        L0 = _eval_loss(model, loss_fn, X, y)

        def fresh(lr: float) -> Any:
            initial.restore(grads=False)
            opt = optimizer_factory(params)
            opt.lr = lr
            return opt

        # ---- 2. initialisation (measured first: it needs the untrained model) ----
        init_section = _initialisation_section(model, loss_fn, X, y, L0, baseline)

        # ---- 1. learning-rate sweep ----
        candidates = [user_lr] + [lr for lr in lrs if not math.isclose(lr, user_lr)]
        runs: list[_Run] = []
        skipped_lrs = []
        for lr in candidates:
            if not money.fits(E):
                skipped_lrs.append(lr)
                continue
            opt = fresh(lr)
            run = _train_run(model, loss_fn, opt, X, y, Xv, yv, E, bs, seed, lr)
            money.spend(E)
            run.state, run.opt_state = model.state_dict(), opt.state_dict()
            run.behaviour = _behaviour(run.train)
            runs.append(run)
        if not runs:
            raise ValueError(
                f"diagnose: budget {budget} is smaller than one run of "
                f"{E} epochs; raise budget or lower epochs"
            )
        lr_section, main = _learning_rate_section(runs, user_lr, skipped_lrs, E)

        # ---- 5. more epochs: continue the main run ----
        initial.restore(grads=False)
        model.load_state_dict(main.state)
        opt = optimizer_factory(params)
        opt.load_state_dict(main.opt_state)
        more = None
        if money.fits(E) and not main.diverged:
            more = _train_run(
                model, loss_fn, opt, X, y, Xv, yv, E, bs, seed + 1, main.lr, curve=False
            )
            money.spend(E)
        epochs_section, still_learning = _epochs_section(main, more, E, baseline)
        if more is not None and more.diverged:
            model.load_state_dict(main.state)
            more = None
        trained_train = more.train[-1] if more is not None else main.train[-1]
        trained_val = more.val[-1] if more is not None else main.val[-1]

        # ---- 6. features, on the trained model ----
        features_section = _features_section(
            model, loss_fn, X, Xv, yv, feature_names, seed
        )

        # ---- 4. architecture ----
        arch_section = _architecture_section(
            trained_train, trained_val, baseline, still_learning, main.diverged
        )

        # ---- 3. more data: a learning curve ----
        data_section = _data_section(
            model, loss_fn, fresh, X, y, Xv, yv, E, bs, seed, main, money, baseline
        )

        for section in (
            lr_section,
            init_section,
            data_section,
            arch_section,
            epochs_section,
            features_section,
        ):
            report[section.key] = section
    finally:
        initial.restore()
    report.header = (
        f"diagnose: {type(model).__name__}, {len(X)} training / {len(Xv)} validation "
        f"samples, batch size {bs}, {E} epochs per run, your lr {user_lr:g}; spent "
        f"{money.spent:g} of a budget of {money.total:g} epochs. Baseline (best "
        f"constant prediction) loss {baseline:.4g}; initial loss {L0:.4g}."
    )
    return report


def _learning_rate_section(
    runs: list[_Run], user_lr: float, skipped: list[float], E: int
) -> tuple[Section, _Run]:
    rows = [
        [
            f"{r.lr:g}" + (" (yours)" if r.lr == user_lr else ""),
            r.train[0],
            r.train[-1],
            r.val[-1],
            r.behaviour,
        ]
        for r in runs
    ]
    details = _table(
        ["lr", "start loss", f"train after {E} ep", "val", "behaviour"], rows
    )
    if skipped:
        details += f"\nnot run (budget): lr {', '.join(f'{lr:g}' for lr in skipped)}"
    user = runs[0]
    good = [r for r in runs if r.behaviour == "converges" and math.isfinite(r.val[-1])]
    best = min(good, key=lambda r: r.val[-1]) if good else None
    evidence = {
        "runs": {
            r.lr: {"train": r.train, "val": r.val, "behaviour": r.behaviour}
            for r in runs
        },
        "best_lr": best.lr if best else None,
        "your_lr": user_lr,
    }
    main = user
    if user.behaviour != "converges":
        verdict = "too large"
        if best is not None:
            advice = f"use lr {best.lr:g} (lowest validation loss, {best.val[-1]:.4g})"
            main = best
        else:
            advice = (
                "every lr tried misbehaves: try lr 10× smaller than the smallest tried"
            )
        rec = f"your lr {user_lr:g} {user.behaviour}; {advice}."
    elif (
        best is not None
        and best is not user
        and user.val[-1] - best.val[-1] > 0.05 * (user.val[0] - best.val[-1])
    ):
        verdict = "too small" if user_lr < best.lr else "too large"
        rec = (
            f"lr {best.lr:g} reaches validation loss {best.val[-1]:.4g} against "
            f"{user.val[-1]:.4g} with yours ({user_lr:g}) in the same {E} epochs: "
            f"{'raise' if verdict == 'too small' else 'lower'} it to about {best.lr:g}."
        )
    else:
        verdict = "ok"
        rec = (
            f"keep lr {user_lr:g}: it converges and no lr of the sweep does clearly "
            "better."
        )
    if main is not user:
        rec += f" (The sections below train with lr {main.lr:g}.)"
    return (
        Section(
            "learning_rate",
            "Should we change the learning rate?",
            verdict,
            verdict != "ok",
            rec,
            evidence,
            details,
        ),
        main,
    )


def _initialisation_section(
    model: Any,
    loss_fn: LossFn,
    X: np.ndarray,
    y: np.ndarray,
    L0: float,
    baseline: float,
) -> Section:
    sample = slice(0, min(len(X), 512))
    astats = activation_stats(model, Tensor._from_array(X[sample]))
    saved = [(p, p.grad) for p in model.parameters()]
    try:
        for p, _ in saved:
            p.grad = None
        with enable_grad(), np.errstate(all="ignore"):
            loss_fn(
                model(Tensor._from_array(X[sample])), Tensor._from_array(y[sample])
            ).backward()
        gstats = gradient_stats(model)
    finally:
        for p, g in saved:
            p.grad = g
    problems, advice = [], []
    unit_problems = [  # (statistic, what it is called, what to do)
        ("dead", "dead ReLUs", "dead ReLUs: use Kaiming init (nn.init.kaiming_uniform_), "
         "zero or small positive biases, or LeakyReLU"),
        ("saturated", "saturated units", "saturation: Xavier init "
         "(nn.init.xavier_uniform_) with smaller weights, and standardised inputs"),
    ]
    for key, label, fix in unit_problems:
        layers = _layers_at_least(astats, key, 0.5)
        if layers:
            problems.append(
                f"{label}: " + ", ".join(f"{n} {v:.0%}" for n, v in layers.items())
            )
            advice.append(fix)
    norms = [
        r["grad_norm"]
        for n, r in gstats.items()
        if n.endswith("weight") and r["grad_norm"] is not None
    ]
    ratio = None
    if len(norms) >= 2 and norms[-1] > 0:
        ratio = norms[0] / norms[-1]
        if ratio < 1e-3:
            problems.append(
                f"vanishing gradients: the first layer's gradient is "
                f"{ratio:.1e} × the last layer's"
            )
            advice.append(
                "vanishing gradients: ReLU-family activations and Xavier/Kaiming init"
            )
        elif ratio > 1e3:
            problems.append(
                f"exploding gradients: first/last layer gradient ratio {ratio:.1e}"
            )
            advice.append("exploding gradients: smaller initial weights")
    if baseline > 0 and L0 > 10 * baseline:
        problems.append(
            f"the initial loss {L0:.4g} is {L0 / baseline:.0f}× the baseline's"
        )
        advice.append(
            "initial outputs too large: scale down the last layer's initial weights"
        )
    scale = None
    if X.ndim == 2 and X.dtype.kind == "f":
        mu, sd = X.mean(axis=0), X.std(axis=0)
        scale = {"mean": mu.tolist(), "std": sd.tolist()}
        if np.any((sd > 0) & ((sd < 0.1) | (sd > 10) | (np.abs(mu) > 3 * sd))):
            problems.append(
                "inputs are not standardised (feature means/stds far from 0/1)"
            )
            advice.append("standardise the features: x ← (x − mean) / std")
    details = str(astats)
    if ratio is not None:
        details += f"\nfirst/last layer weight-gradient norm ratio at init: {ratio:.3g}"
    details += "\n" + (
        "; ".join(problems)
        if problems
        else "no dead, saturated or vanishing units at init"
    )
    rec = (
        "; ".join(advice) + "."
        if advice
        else "the initialisation looks healthy: keep it."
    )
    evidence = {
        "activation_stats": dict(astats),
        "gradient_stats": dict(gstats),
        "grad_ratio_first_last": ratio,
        "initial_loss": L0,
        "baseline": baseline,
        "input_scale": scale,
        "problems": problems,
    }
    return Section(
        "initialisation",
        "Should we initialise differently?",
        "problem" if problems else "ok",
        bool(problems),
        rec,
        evidence,
        details,
    )


def _epochs_section(
    main: _Run, more: _Run | None, E: int, baseline: float
) -> tuple[Section, bool]:
    if main.diverged:
        return (
            Section(
                "more_epochs",
                "Should we run for more epochs?",
                "no",
                False,
                "the run diverged: fix the learning rate first.",
                {},
            ),
            False,
        )
    if more is not None and not more.diverged:
        v0, v1, t0, t1 = main.val[-1], more.val[-1], main.train[-1], more.train[-1]
        how = f"in {E} more epochs"
    else:  # no budget left: the trend of the run's last quarter
        k = max(1, (len(main.val) - 1) // 4)
        v0, v1, t0, t1 = (
            main.val[-1 - k],
            main.val[-1],
            main.train[-1 - k],
            main.train[-1],
        )
        how = f"over the last {k} epochs of the run (no budget to train more)"
    val_gain, train_gain = _rel(v0, v1), _rel(t0, t1)
    # a change counts when it is 5% of the loss and 1% of the baseline (near the noise
    # floor, 5% of a tiny loss is noise)
    small = 0.01 * baseline
    details = _table(
        ["", "train loss", "val loss"],
        [
            ["before", t0, v0],
            ["after", t1, v1],
            ["change", f"{-train_gain:+.1%}", f"{-val_gain:+.1%}"],
        ],
    )
    evidence = {
        "val_before": v0,
        "val_after": v1,
        "train_before": t0,
        "train_after": t1,
        "val_gain": val_gain,
        "train_gain": train_gain,
    }
    if val_gain > 0.05 and v0 - v1 > small:
        verdict, rec = "yes", (
            f"the validation loss is still falling ({v0:.4g} -> {v1:.4g}, "
            f"{val_gain:.0%} {how}): train longer, stopping when it no "
            "longer improves (early stopping)."
        )
    elif val_gain < -0.05 and v1 - v0 > small and train_gain > 0:
        verdict, rec = "no (overfitting)", (
            f"the validation loss rises ({v0:.4g} -> {v1:.4g}) "
            f"while the train loss falls {how}: stop earlier "
            "(early stopping) or regularise."
        )
    else:
        verdict, rec = "no", (
            f"converged: the validation loss changed by {-val_gain:+.1%} "
            f"{how}; more epochs will not help."
        )
    still_learning = train_gain > 0.05 and t0 - t1 > small
    return (
        Section(
            "more_epochs",
            "Should we run for more epochs?",
            verdict,
            verdict == "yes",
            rec,
            evidence,
            details,
        ),
        still_learning,
    )


def _architecture_section(
    train_loss: float,
    val_loss: float,
    baseline: float,
    still_learning: bool,
    diverged: bool,
) -> Section:
    question = "Should we change the architecture?"
    evidence = {
        "train_loss": train_loss,
        "val_loss": val_loss,
        "baseline": baseline,
        "still_learning": still_learning,
    }
    if diverged or not (math.isfinite(train_loss) and math.isfinite(val_loss)):
        return Section(
            "architecture",
            question,
            "undecided",
            False,
            "training diverged: fix the learning rate first.",
            evidence,
        )
    ratio = train_loss / baseline if baseline > 0 else 0.0
    gap = (val_loss - train_loss) / baseline if baseline > 0 else 0.0
    evidence.update(train_over_baseline=ratio, gap_over_baseline=gap)
    details = _table(
        [
            "train loss",
            "val loss",
            "baseline",
            "train/baseline",
            "(val-train)/baseline",
        ],
        [[train_loss, val_loss, baseline, ratio, gap]],
    )
    if ratio > 0.5 and not still_learning:
        verdict, rec = "underfitting", (
            f"the model cannot fit even the training data: its train loss is "
            f"{ratio:.0%} of a constant predictor's and no longer falling. Add "
            "capacity (hidden layers or units, a non-linear activation: a linear "
            "model cannot learn XOR) or better features."
        )
    elif ratio > 0.5:
        verdict, rec = "undecided", (
            "the train loss is still high but still falling: run "
            "more epochs before judging the capacity."
        )
    elif gap > 0.1 and val_loss > 1.5 * train_loss:
        verdict, rec = "overfitting", (
            f"the validation loss ({val_loss:.4g}) is far above the train loss "
            f"({train_loss:.4g}): a smaller model, regularisation (weight decay, "
            "dropout) or more data."
        )
    else:
        verdict, rec = "ok", (
            "it fits the training data and generalises (small train/val "
            "gap): keep the architecture."
        )
    return Section(
        "architecture",
        question,
        verdict,
        verdict in ("underfitting", "overfitting"),
        rec,
        evidence,
        details,
    )


def _data_section(
    model: Any,
    loss_fn: LossFn,
    fresh: Callable,
    X: np.ndarray,
    y: np.ndarray,
    Xv: np.ndarray,
    yv: np.ndarray,
    E: int,
    bs: int,
    seed: int,
    main: _Run,
    money: _Budget,
    baseline: float,
) -> Section:
    question = "Do we need more training data?"
    order = np.random.default_rng(seed).permutation(len(X))
    rows, points = [], []
    for f in (0.25, 0.5):
        n = int(round(f * len(X)))
        epochs_f = int(
            math.ceil(E / f)
        )  # about the same number of steps as the full run
        cost = epochs_f * n / len(X)
        if n < 8 or main.diverged or not money.fits(cost):
            continue
        idx = order[:n]  # nested subsets: the 25% lie inside the 50%
        opt = fresh(main.lr)
        run = _train_run(
            model,
            loss_fn,
            opt,
            X[idx],
            y[idx],
            Xv,
            yv,
            epochs_f,
            bs,
            seed,
            main.lr,
            curve=False,
        )
        money.spend(cost)
        points.append((n, run.train[-1], run.val[-1]))
    points.append((len(X), main.train[-1], main.val[-1]))
    for n, t, v in points:
        rows.append([n, t, v, v - t])
    details = _table(["training samples", "train loss", "val loss", "gap"], rows)
    evidence = {"learning_curve": points}
    if len(points) < 2:
        return Section(
            "more_data",
            question,
            "skipped",
            False,
            "no learning curve (too few samples, a diverged run, or no budget "
            "left).",
            evidence,
            details,
        )
    (n1, _, v1), (n2, t2, v2) = points[-2], points[-1]
    gain = _rel(v1, v2)
    gap = (v2 - t2) / abs(v2) if v2 else 0.0
    evidence.update(val_gain=gain, relative_gap=gap)
    # as for epochs: a change must also be visible on the baseline's scale (2%)
    falling = gain > 0.1 and v1 - v2 > 0.02 * baseline
    if falling and gap > 0.1 and v2 - t2 > 0.02 * baseline:
        verdict, flagged, rec = (
            "likely helps",
            True,
            (
                f"the validation loss still falls with more data ({n1} -> {n2} "
                f"samples: {v1:.4g} -> {v2:.4g}) and stays {gap:.0%} above the train "
                "loss: more data should help."
            ),
        )
    elif falling:
        verdict, flagged, rec = (
            "may help a little",
            False,
            (
                f"the validation loss falls with more data ({gain:.0%}), but train "
                "and val are close: the model, not the data, limits it."
            ),
        )
    else:
        verdict, flagged, rec = (
            "unlikely to help",
            False,
            (
                f"the validation loss barely changes from {n1} to {n2} samples "
                f"({-gain:+.1%}): more of the same data will not help much."
            ),
        )
    return Section("more_data", question, verdict, flagged, rec, evidence, details)


def _features_section(
    model: Any,
    loss_fn: LossFn,
    X: np.ndarray,
    Xv: np.ndarray,
    yv: np.ndarray,
    names: Sequence[str] | None,
    seed: int,
    repeats: int = 5,
) -> Section:
    question = "Are the features relevant for the problem?"
    base = _eval_loss(model, loss_fn, Xv, yv)
    if Xv.ndim != 2 or Xv.dtype.kind != "f" or not math.isfinite(base):
        return Section(
            "features",
            question,
            "skipped",
            False,
            "needs 2-D float inputs and a finite validation loss.",
            {},
        )
    d = Xv.shape[1]
    names = list(names) if names is not None else [f"x{j}" for j in range(d)]
    if len(names) != d:
        raise ValueError(f"diagnose: {len(names)} feature_names for {d} features")
    # saliency: |∂C/∂x| per sample (× N undoes the mean), scaled by the feature's spread
    xt = Tensor(Xv.copy(), requires_grad=True)
    with _in_mode(model, False), enable_grad(), np.errstate(all="ignore"):
        (g,) = gradients(loss_fn(model(xt), Tensor._from_array(yv)), [xt])
    saliency = np.abs(g.data.astype(np.float64)).mean(axis=0) * len(Xv) * X.std(axis=0)
    total = saliency.sum()
    share = saliency / total if total > 0 else saliency
    # permutation importance: how much worse is the loss when column j is shuffled?
    rng = np.random.default_rng(seed)
    importance = np.zeros(d)
    for j in range(d):
        rises = []
        for _ in range(repeats):
            shuffled = Xv.copy()
            shuffled[:, j] = rng.permutation(shuffled[:, j])
            rises.append(_eval_loss(model, loss_fn, shuffled, yv) - base)
        importance[j] = np.mean(rises)
    order = np.argsort(-importance, kind="stable")
    top = max(importance.max(), 0.0)
    irrelevant = [names[j] for j in order if importance[j] <= 0.01 * top]
    rows = [
        [rank, names[j], float(importance[j]), float(share[j])]
        for rank, j in enumerate(order, start=1)
    ]
    details = (
        _table(
            ["rank", "feature", "val loss rise when shuffled", "saliency share"], rows
        )
        + f"\nvalidation loss {base:.4g}"
    )
    evidence = {
        "ranking": [names[j] for j in order],
        "permutation_importance": dict(zip(names, importance.tolist())),
        "saliency": dict(zip(names, share.tolist())),
        "irrelevant": irrelevant,
    }
    if irrelevant and top > 0:
        verdict, rec = "irrelevant features", (
            f"shuffling {', '.join(irrelevant)} changes the validation loss by less "
            "than 1% of what shuffling the most important feature does: probably "
            "irrelevant; try dropping them (or L1 regularisation / Lasso)."
        )
    elif top <= 0:
        verdict, rec = "none relevant", (
            "no feature matters to the trained model: it "
            "predicts a constant (see architecture and lr)."
        )
    else:
        verdict, rec = "all relevant", "every feature contributes: keep them."
    return Section(
        "features", question, verdict, verdict != "all relevant", rec, evidence, details
    )

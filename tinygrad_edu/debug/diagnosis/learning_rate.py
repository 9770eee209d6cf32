"""1. Should we change the learning rate? A sweep, judged against run-to-run noise."""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from .._common import _table
from .report import Section
from .trial import TrainingRun, Trial

QUESTION = "Should we change the learning rate?"


def behaviour(curve: list[float], tolerance: float) -> str:
    """'diverges' (NaN/Inf, or ends above its start by more than ``tolerance``),
    'oscillates' (the loss jumps up repeatedly, each jump beyond the tolerance and
    10% of the drop so far) or 'converges'."""
    c = np.array(curve, dtype=np.float64)
    if not np.all(np.isfinite(c)) or c[-1] > c[0] + tolerance:
        return "diverges"
    rises = np.diff(c) > max(0.1 * (c[0] - c.min()), tolerance)
    if len(rises) >= 2 and rises.sum() >= max(2, len(rises) // 4):
        return "oscillates"
    return "converges"


def _sweep(trial: Trial, lrs: Sequence[float]) -> tuple[list[TrainingRun], list[float]]:
    """Your lr first, then the others; (runs, lrs skipped for lack of budget)."""
    candidates = [trial.user_lr] + [
        lr for lr in lrs if not math.isclose(lr, trial.user_lr)
    ]
    runs, skipped = [], []
    for lr in candidates:
        run = trial.run(lr)
        if run is None:
            skipped.append(lr)
        else:
            runs.append(run)
    if not runs:
        raise ValueError(
            f"diagnose: budget {trial.budget.total:g} is smaller than one run of "
            f"{trial.epochs} epochs; raise budget or lower epochs"
        )
    return runs, skipped


def _measure_noise(trial: Trial, user: TrainingRun) -> float | None:
    """|Δ final val loss| between your run and a repeat shuffled differently."""
    if user.diverged:
        return None
    repeat = trial.run(user.lr, seed=trial.seed + 7919)
    if repeat is None or repeat.diverged:
        return None
    return abs(user.val[-1] - repeat.val[-1])


def answer(trial: Trial, lrs: Sequence[float]) -> Section:
    """Train at your lr and each of ``lrs``; sets ``trial.main`` and ``trial.noise``."""
    runs, skipped = _sweep(trial, lrs)
    user = runs[0]
    noise = _measure_noise(trial, user)
    # two shuffles ending far apart (> half the baseline) mean an unstable lr, not a
    # noise level: the noise used to judge differences is capped at 10% of it
    unstable = noise is not None and noise > 0.5 * trial.baseline
    trial.noise = min(noise or 0.0, 0.1 * trial.baseline)
    tolerance = trial.change_floor()
    kinds = {id(r): behaviour(r.train, tolerance) for r in runs}
    if unstable and kinds[id(user)] == "converges":
        kinds[id(user)] = "is unstable (two shuffles end far apart)"
    good = [r for r in runs if kinds[id(r)] == "converges" and math.isfinite(r.val[-1])]
    best = min(good, key=lambda r: r.val[-1]) if good else None
    verdict, rec, main = _decide(trial, user, kinds[id(user)], best)
    trial.main = main
    if main is not user:
        rec += f" (The sections below train with lr {main.lr:g}.)"
    rows = [
        [
            f"{r.lr:g}" + (" (yours)" if r is user else ""),
            r.train[0],
            r.train[-1],
            r.val[-1],
            kinds[id(r)],
        ]
        for r in runs
    ]
    details = _table(
        ["lr", "start loss", f"train after {trial.epochs} ep", "val", "behaviour"], rows
    )
    details += (
        f"\nrun-to-run noise (your lr, another shuffle): {noise:.3g}; a difference "
        f"counts beyond {tolerance:.3g}"
        if noise is not None
        else "\nno repeat run (budget or divergence); a difference counts beyond "
        f"{tolerance:.3g}"
    )
    if skipped:
        details += f"\nnot run (budget): lr {', '.join(f'{lr:g}' for lr in skipped)}"
    evidence = {
        "runs": {
            r.lr: {"train": r.train, "val": r.val, "behaviour": kinds[id(r)]}
            for r in runs
        },
        "best_lr": best.lr if best else None,
        "your_lr": trial.user_lr,
        "noise": noise,
        "tolerance": tolerance,
    }
    return Section(
        "learning_rate", QUESTION, verdict, verdict != "ok", rec, evidence, details
    )


def _decide(
    trial: Trial, user: TrainingRun, kind: str, best: TrainingRun | None
) -> tuple[str, str, TrainingRun]:
    """(verdict, recommendation, the run the other questions continue from)."""
    lr = trial.user_lr
    if kind != "converges":
        if best is None:
            return (
                "too large",
                f"your lr {lr:g} {kind}; every lr tried misbehaves: "
                "try lr 10× smaller than the smallest tried.",
                user,
            )
        return (
            "too large",
            f"your lr {lr:g} {kind}; use lr {best.lr:g} (lowest "
            f"validation loss, {best.val[-1]:.4g}).",
            best,
        )
    # another lr counts as the fix only if it beats yours beyond the noise *and*
    # actually trains the model (train loss below half the baseline's): when no lr
    # does, the problem is elsewhere (capacity, data, initialisation)
    if best is not None and best is not user and best.train[-1] < 0.5 * trial.baseline:
        drop = max(user.val[0] - best.val[-1], 0.0)
        margin = max(trial.change_floor(), 0.05 * drop)
        if user.val[-1] - best.val[-1] > margin:
            verdict = "too small" if lr < best.lr else "too large"
            move = "raise" if verdict == "too small" else "lower"
            return (
                verdict,
                f"lr {best.lr:g} reaches validation loss "
                f"{best.val[-1]:.4g} against {user.val[-1]:.4g} with yours ({lr:g}) "
                f"in the same {trial.epochs} epochs, beyond the noise ({margin:.3g}): "
                f"{move} it to about {best.lr:g}.",
                best,
            )
    return (
        "ok",
        f"keep lr {lr:g}: it converges and no lr of the sweep does better "
        "by more than the run-to-run noise.",
        user,
    )

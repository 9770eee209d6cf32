"""5. Should we run for more epochs? Continue the main run and watch the losses."""

from __future__ import annotations

from dataclasses import dataclass

from .._common import _table
from .report import Section
from .trial import Trial, relative_change

QUESTION = "Should we run for more epochs?"


@dataclass
class Trend:
    """Train and val losses before and after more training, and how it was seen."""

    train_before: float
    train_after: float
    val_before: float
    val_after: float
    how: str

    @property
    def train_gain(self) -> float:
        return relative_change(self.train_before, self.train_after)

    @property
    def val_gain(self) -> float:
        return relative_change(self.val_before, self.val_after)


def trend(trial: Trial) -> Trend | None:
    """The main run continued ``epochs`` more; without budget, the trend of its last
    quarter. None when the main run diverged."""
    main = trial.main
    if main is None or main.diverged:
        return None
    more = trial.continued()
    if more is not None:
        return Trend(
            main.train[-1],
            more.train[-1],
            main.val[-1],
            more.val[-1],
            f"in {trial.epochs} more epochs",
        )
    k = max(1, (len(main.val) - 1) // 4)
    return Trend(
        main.train[-1 - k],
        main.train[-1],
        main.val[-1 - k],
        main.val[-1],
        f"over the last {k} epochs of the run (no budget to train more)",
    )


def still_learning(trial: Trial, seen: Trend | None) -> bool:
    """Does the train loss still fall, by 5% and beyond the noise?"""
    return (
        seen is not None
        and seen.train_gain > 0.05
        and (seen.train_before - seen.train_after > trial.change_floor())
    )


def answer(trial: Trial) -> Section:
    seen = trend(trial)
    if seen is None:
        return Section(
            "more_epochs",
            QUESTION,
            "no",
            False,
            "the run diverged: fix the learning rate first.",
            {},
        )
    v0, v1, t0, t1 = (
        seen.val_before,
        seen.val_after,
        seen.train_before,
        seen.train_after,
    )
    floor = trial.change_floor()
    details = _table(
        ["", "train loss", "val loss"],
        [
            ["before", t0, v0],
            ["after", t1, v1],
            ["change", f"{-seen.train_gain:+.1%}", f"{-seen.val_gain:+.1%}"],
        ],
    )
    evidence = {
        "val_before": v0,
        "val_after": v1,
        "train_before": t0,
        "train_after": t1,
        "val_gain": seen.val_gain,
        "train_gain": seen.train_gain,
    }
    if seen.val_gain > 0.05 and v0 - v1 > floor:
        verdict, rec = "yes", (
            f"the validation loss is still falling ({v0:.4g} -> {v1:.4g}, "
            f"{seen.val_gain:.0%} {seen.how}): train longer, stopping when it no "
            "longer improves (early stopping)."
        )
    elif seen.val_gain < -0.05 and v1 - v0 > floor and seen.train_gain > 0:
        verdict, rec = "no (overfitting)", (
            f"the validation loss rises ({v0:.4g} -> {v1:.4g}) while the train loss "
            f"falls {seen.how}: stop earlier (early stopping) or regularise."
        )
    else:
        verdict, rec = "no", (
            f"converged: the validation loss changed by {-seen.val_gain:+.1%} "
            f"{seen.how}; more epochs will not help."
        )
    return Section(
        "more_epochs", QUESTION, verdict, verdict == "yes", rec, evidence, details
    )

"""4. Should we change the architecture? Underfitting and overfitting, measured
against the best constant prediction."""

from __future__ import annotations

import math

from .._common import _table
from .more_epochs import still_learning, trend
from .report import Section
from .trial import Trial

QUESTION = "Should we change the architecture?"


def answer(trial: Trial) -> Section:
    seen = trend(trial)
    baseline = trial.baseline
    if seen is None or not (
        math.isfinite(seen.train_after) and math.isfinite(seen.val_after)
    ):
        return Section(
            "architecture",
            QUESTION,
            "undecided",
            False,
            "training diverged: fix the learning rate first.",
            {"baseline": baseline},
        )
    train_loss, val_loss = seen.train_after, seen.val_after
    learning = still_learning(trial, seen)
    ratio = train_loss / baseline if baseline > 0 else 0.0
    gap = (val_loss - train_loss) / baseline if baseline > 0 else 0.0
    evidence = {
        "train_loss": train_loss,
        "val_loss": val_loss,
        "baseline": baseline,
        "still_learning": learning,
        "train_over_baseline": ratio,
        "gap_over_baseline": gap,
    }
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
    verdict, rec = _verdict(ratio, gap, learning, train_loss, val_loss)
    return Section(
        "architecture",
        QUESTION,
        verdict,
        verdict in ("underfitting", "overfitting"),
        rec,
        evidence,
        details,
    )


def _verdict(
    ratio: float, gap: float, learning: bool, train_loss: float, val_loss: float
) -> tuple[str, str]:
    """Underfitting (train loss above half the baseline's, no longer falling),
    overfitting (a wide train/val gap), undecided (still falling) or ok."""
    if ratio > 0.5 and not learning:
        return "underfitting", (
            f"the model cannot fit even the training data: its train loss is "
            f"{ratio:.0%} of a constant predictor's and no longer falling. Add "
            "capacity (hidden layers or units, a non-linear activation: a linear "
            "model cannot learn XOR) or better features."
        )
    elif ratio > 0.5:
        return "undecided", (
            "the train loss is still high but still falling: run more epochs before "
            "judging the capacity."
        )
    elif gap > 0.1 and val_loss > 1.5 * train_loss:
        return "overfitting", (
            f"the validation loss ({val_loss:.4g}) is far above the train loss "
            f"({train_loss:.4g}): a smaller model, regularisation (weight decay, "
            "dropout) or more data."
        )
    else:
        return "ok", (
            "it fits the training data and generalises (small train/val gap): keep "
            "the architecture."
        )

"""4. Should we change the architecture? Underfitting and overfitting, measured
against the best constant prediction, and against what a model-free reference (5
nearest neighbours, ``neighbours.py``) shows is achievable."""

from __future__ import annotations

import math

from .._common import _table
from .more_epochs import still_learning, trend
from .neighbours import model_score
from .report import Section
from .trial import Trial

QUESTION = "Should we change the architecture?"


def answer(trial: Trial) -> Section:
    seen = trend(trial)  # leaves the model as trained longest
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
        # only a high, settled train loss raises the question of capacity
        "reference": better_fit(trial) if ratio > 0.5 and not learning else None,
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
    ref = evidence["reference"]
    if ref is not None:
        details += (
            f"\n5 nearest neighbours on validation data: {ref['kind']} "
            f"{ref['neighbours']:.3g}; the model on its training data: "
            f"{ref['model']:.3g} (clearly better: by more than {ref['margin']:.2g})"
        )
    verdict, rec = _verdict(evidence)
    return Section(
        "architecture",
        QUESTION,
        verdict,
        verdict in ("underfitting", "overfitting"),
        rec,
        evidence,
        details,
    )


def better_fit(trial: Trial) -> dict | None:
    """Is a better fit achievable? 5 nearest neighbours predicting the validation
    set against the trained model scoring its own training data, as accuracy (or
    R² for regression); None when the model's outputs cannot be scored that way.

    A model that fits the data it was trained on worse than a neighbour vote
    predicts data it never saw is held back by its form, not by the data. On
    noisy data (overlapping classes) no model does better than the noise allows,
    and the neighbours, which also pay for the noise, do no better than the model.
    """
    if trial.X.dtype.kind not in "fiub" or len(trial.X) < 6:
        return None
    knn = trial.neighbours()
    scored = model_score(trial.model, trial.loss_fn, trial.X, trial.y, knn["kind"])
    if scored is None:
        return None
    score, m = scored
    if knn["kind"] == "accuracy":  # 3 standard errors of the difference, ≥ 2 points
        p, q = knn["score"], score
        spread = math.sqrt(p * (1 - p) / knn["n"] + q * (1 - q) / m)
        margin = max(3 * spread, 0.02)
    else:  # 10% of y's variance, the neighbours' own threshold for a signal
        margin = 0.1
    return {
        "kind": knn["kind"],
        "neighbours": knn["score"],
        "model": score,
        "margin": margin,
        "better": knn["score"] - score > margin,
    }


def _verdict(evidence: dict) -> tuple[str, str]:
    """Underfitting (train loss above half the baseline's, no longer falling, and
    a reference fits clearly better), overfitting (a wide train/val gap), no (a
    high loss that nothing fits better: noise), undecided or ok."""
    ratio, gap = evidence["train_over_baseline"], evidence["gap_over_baseline"]
    train_loss, val_loss = evidence["train_loss"], evidence["val_loss"]
    ref = evidence["reference"]
    high = (
        f"the train loss ({train_loss:.4g}) is {ratio:.0%} of a constant "
        f"predictor's ({evidence['baseline']:.4g}) and no longer falling"
    )
    if ratio > 0.5 and evidence["still_learning"]:
        return "undecided", (
            "the train loss is still high but still falling: run more epochs before "
            "judging the capacity."
        )
    elif ratio > 0.5 and ref is None:
        return "undecided", (
            f"{high}, but there is no model-free reference to tell whether a better "
            "fit is achievable (the outputs are neither classes nor predictions of "
            "y): train a larger model on the same split and compare its loss."
        )
    elif ratio > 0.5 and ref["better"]:
        return "underfitting", (
            f"the model cannot fit even the training data: {high}, while 5 nearest "
            f"neighbours reach {ref['kind']} {ref['neighbours']:.3g} on validation "
            f"data against the model's {ref['model']:.3g} on its own training data. "
            "Add capacity (hidden layers or units, a non-linear activation: a linear "
            "model cannot learn XOR) or better features."
        )
    elif gap > 0.1 and val_loss > 1.5 * train_loss:
        return "overfitting", (
            f"the validation loss ({val_loss:.4g}) is far above the train loss "
            f"({train_loss:.4g}): a smaller model, regularisation (weight decay, "
            "dropout) or more data."
        )
    elif ratio > 0.5:
        return "no (noisy data)", (
            f"{high}, but 5 nearest neighbours do no better ({ref['kind']} "
            f"{ref['neighbours']:.3g} on validation data against the model's "
            f"{ref['model']:.3g} on its training data): nothing shows that a better "
            "fit is achievable. The remaining loss looks like noise in the data "
            "(labels that x does not determine), which no architecture removes; keep "
            "it, or find more informative features."
        )
    else:
        return "ok", (
            "it fits the training data and generalises (small train/val gap): keep "
            "the architecture."
        )

"""3. Do we need more training data? A learning curve: 25%, 50% and 100% of it."""

from __future__ import annotations

import math

import numpy as np

from .._common import _table
from .report import Section
from .trial import Trial, relative_change

QUESTION = "Do we need more training data?"


def _learning_curve(trial: Trial) -> list[tuple[int, float, float]]:
    """(samples, train loss, val loss) at 25%, 50% (as budget allows) and 100%."""
    main = trial.main
    order = np.random.default_rng(trial.seed).permutation(len(trial.X))
    points = []
    for fraction in (0.25, 0.5):
        n = int(round(fraction * len(trial.X)))
        if n < 8 or main is None or main.diverged:
            continue
        epochs = int(math.ceil(trial.epochs / fraction))  # about the same steps
        run = trial.run(main.lr, epochs=epochs, subset=order[:n], curve=False)
        if run is not None:  # nested subsets: the 25% lie inside the 50%
            points.append((n, run.train[-1], run.val[-1]))
    if main is not None:
        points.append((len(trial.X), main.train[-1], main.val[-1]))
    return points


def answer(trial: Trial) -> Section:
    points = _learning_curve(trial)
    rows = [[n, t, v, v - t] for n, t, v in points]
    details = _table(["training samples", "train loss", "val loss", "gap"], rows)
    evidence: dict = {"learning_curve": points}
    if len(points) < 2:
        return Section(
            "more_data",
            QUESTION,
            "skipped",
            False,
            "no learning curve (too few samples, a diverged run, or no "
            "budget left).",
            evidence,
            details,
        )
    (n1, _, v1), (n2, t2, v2) = points[-2], points[-1]
    gain = relative_change(v1, v2)
    gap = (v2 - t2) / abs(v2) if v2 else 0.0
    evidence.update(val_gain=gain, relative_gap=gap)
    floor = 2 * trial.change_floor()
    falling = gain > 0.1 and v1 - v2 > floor
    if falling and gap > 0.1 and v2 - t2 > floor:
        verdict, flagged, rec = (
            "likely helps",
            True,
            (
                "the validation loss still falls with more data "
                f"({n1} -> {n2} samples: "
                f"{v1:.4g} -> {v2:.4g}) and stays {gap:.0%} above the train loss: more "
                "data should help."
            ),
        )
    elif falling:
        verdict, flagged, rec = (
            "may help a little",
            False,
            (
                f"the validation loss falls with more data ({gain:.0%}), but train and "
                "val are close: the model, not the data, limits it."
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
    return Section("more_data", QUESTION, verdict, flagged, rec, evidence, details)

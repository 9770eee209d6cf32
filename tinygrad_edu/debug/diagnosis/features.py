"""6. Are the features relevant for the problem? Scaling, whether x predicts y at
all (the model-free k-nearest-neighbour check of ``neighbours.py``), and which
features the trained model uses (permutation importance and input-gradient
saliency)."""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from ...autograd import enable_grad
from ...functional import gradients
from ...tensor import Tensor
from .._common import _in_mode, _table
from .report import Section
from .trial import Trial

QUESTION = "Are the features relevant for the problem?"


def unscaled_features(X: np.ndarray) -> list[int]:
    """Columns far from standardised: std < 0.1 or > 10, or mean beyond 3 stds."""
    mean, std = X.mean(axis=0), X.std(axis=0)
    bad = (std > 0) & ((std < 0.1) | (std > 10) | (np.abs(mean) > 3 * std))
    return [int(j) for j in np.flatnonzero(bad)]


def _importance(
    trial: Trial, base: float, repeats: int = 5
) -> tuple[np.ndarray, np.ndarray]:
    """(permutation importance, saliency share) per feature on the validation set."""
    X, Xv, yv, model, loss_fn = trial.X, trial.Xv, trial.yv, trial.model, trial.loss_fn
    xt = Tensor(Xv.copy(), requires_grad=True)
    with _in_mode(model, False), enable_grad(), np.errstate(all="ignore"):
        (g,) = gradients(loss_fn(model(xt), Tensor._from_array(yv)), [xt])
    # |∂C/∂x| per sample (× N undoes the mean), scaled by the feature's spread
    saliency = np.abs(g.data.astype(np.float64)).mean(axis=0) * len(Xv) * X.std(axis=0)
    total = saliency.sum()
    rng = np.random.default_rng(trial.seed)
    importance = np.zeros(Xv.shape[1])
    for j in range(Xv.shape[1]):  # how much worse is the loss with column j shuffled?
        rises = []
        for _ in range(repeats):
            shuffled = Xv.copy()
            shuffled[:, j] = rng.permutation(shuffled[:, j])
            rises.append(trial.loss(shuffled, yv) - base)
        importance[j] = np.mean(rises)
    return importance, saliency / total if total > 0 else saliency


def answer(trial: Trial, names: Sequence[str] | None) -> Section:
    trial.continued()  # the model as trained longest
    Xv = trial.Xv
    if Xv.ndim != 2 or Xv.dtype.kind != "f":
        return Section(
            "features", QUESTION, "skipped", False, "needs 2-D float inputs.", {}
        )
    d = Xv.shape[1]
    names = list(names) if names is not None else [f"x{j}" for j in range(d)]
    if len(names) != d:
        raise ValueError(f"diagnose: {len(names)} feature_names for {d} features")
    unscaled = [names[j] for j in unscaled_features(trial.X)]
    base = trial.loss(Xv, trial.yv)
    if unscaled and not math.isfinite(base):  # the scale is the answer, ranking or not
        return Section(
            "features",
            QUESTION,
            "unscaled",
            True,
            _verdict({"unscaled": unscaled}, 0.0)[1],
            {"unscaled": unscaled},
        )
    if not math.isfinite(base):
        return Section(
            "features",
            QUESTION,
            "skipped",
            False,
            "needs a finite validation loss (training diverged).",
            {},
        )
    return _ranked(trial, names, unscaled, base)


def _ranked(trial: Trial, names: list, unscaled: list, base: float) -> Section:
    """The section once the trained model's validation loss is known: which
    features it uses, and whether x predicts y at all."""
    importance, share = _importance(trial, base)
    order = np.argsort(-importance, kind="stable")
    top = max(importance.max(), 0.0)
    evidence = {
        "ranking": [names[j] for j in order],
        "permutation_importance": dict(zip(names, importance.tolist())),
        "saliency": dict(zip(names, share.tolist())),
        "irrelevant": [names[j] for j in order if importance[j] <= 0.01 * top],
        "unscaled": unscaled,
        "neighbours": trial.neighbours(),
        # the ranking means something only for a model that learned something:
        # a validation loss clearly (beyond the run-to-run noise) below the best
        # constant prediction's. How much it learned does not matter: a noisy
        # problem may allow only half the baseline, and the ranking still holds.
        "baseline": trial.baseline,
        "margin": trial.change_floor(),
        "model_learned": trial.baseline - base > trial.change_floor(),
    }
    rows = [
        [rank, names[j], float(importance[j]), float(share[j])]
        for rank, j in enumerate(order, start=1)
    ]
    details = _table(
        ["rank", "feature", "val loss rise when shuffled", "saliency share"], rows
    )
    knn = evidence["neighbours"]
    details += (
        f"\nvalidation loss {base:.4g} (constant prediction: "
        f"{trial.baseline:.4g}); 5 nearest neighbours: {knn['kind']} "
        f"{knn['score']:.3g} (chance {knn['chance']:.3g})"
    )
    verdict, rec = _verdict(evidence, top, base)
    return Section(
        "features",
        QUESTION,
        verdict,
        verdict not in ("all relevant", "undecided"),
        rec,
        evidence,
        details,
    )


def _verdict(evidence: dict, top: float, base: float = math.nan) -> tuple[str, str]:
    if evidence["unscaled"]:
        return "unscaled", (
            f"{', '.join(evidence['unscaled'])} far from mean 0 / std 1: standardise "
            "the features, x ← (x − mean) / std with the training set's mean and "
            "std."
        )
    knn = evidence["neighbours"]
    # a model that beats the constant prediction on held-out data is itself proof
    # that x predicts y, whatever a 5-neighbour vote on few samples says
    if not knn["signal"] and not evidence["model_learned"]:
        return "none relevant", (
            f"nothing in x predicts y: 5 nearest neighbours score {knn['score']:.3g} "
            f"against {knn['chance']:.3g} by chance. Check that inputs and labels are "
            "aligned (not shuffled), or find features related to the target."
        )
    if not evidence["model_learned"]:
        return "undecided", (
            f"x does predict y (5 nearest neighbours: {knn['kind']} "
            f"{knn['score']:.3g}), but the trained model's validation loss "
            f"({base:.4g}) is not clearly below a constant prediction's "
            f"({evidence['baseline']:.4g}; by more than {evidence['margin']:.2g}): it "
            "has learned too little for its use of the features to mean anything. "
            "Fix the training first (see the sections above)."
        )
    if evidence["irrelevant"] and top > 0:
        return "irrelevant features", (
            f"shuffling {', '.join(evidence['irrelevant'])} changes the validation "
            "loss by less than 1% of what shuffling the most important feature does: "
            "probably irrelevant; try dropping them (or L1 regularisation / Lasso)."
        )
    return "all relevant", "every feature contributes: keep them."

"""2. Should we initialise differently? Dead and saturated units, vanishing or
exploding gradients and the initial loss, measured on the untrained model."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...autograd import enable_grad
from ...tensor import Tensor
from ..stats import activation_stats, gradient_stats
from .report import Section
from .trial import Trial

QUESTION = "Should we initialise differently?"

UNIT_PROBLEMS = [  # (statistic, what it is called, what to do)
    (
        "dead",
        "dead ReLUs",
        "dead ReLUs: use Kaiming init (nn.init.kaiming_uniform_), "
        "zero or small positive biases, or LeakyReLU",
    ),
    (
        "saturated",
        "saturated units",
        "saturation: Xavier init "
        "(nn.init.xavier_uniform_) with smaller weights, and standardised inputs",
    ),
]


def _layers_at_least(stats: dict, key: str, threshold: float) -> dict[str, float]:
    """{layer: stats[layer][key]} for the layers where that fraction is >= threshold."""
    return {
        name: row[key]
        for name, row in stats.items()
        if row[key] is not None and row[key] >= threshold
    }


def _gradient_stats_at_init(trial: Trial, sample: slice) -> Any:
    """gradient_stats after one backward pass on a sample, the grads put back."""
    model = trial.model
    saved = [(p, p.grad) for p in model.parameters()]
    try:
        for p, _ in saved:
            p.grad = None
        with enable_grad(), np.errstate(all="ignore"):
            out = model(Tensor._from_array(trial.X[sample]))
            trial.loss_fn(out, Tensor._from_array(trial.y[sample])).backward()
        return gradient_stats(model)
    finally:
        for p, g in saved:
            p.grad = g


def _gradient_ratio(gstats: Any) -> float | None:
    """‖∂C/∂W‖ of the first weight over the last's (vanishing when tiny)."""
    norms = [
        row["grad_norm"]
        for name, row in gstats.items()
        if name.endswith("weight") and row["grad_norm"] is not None
    ]
    if len(norms) >= 2 and norms[-1] > 0:
        return norms[0] / norms[-1]
    return None


def _problems(trial: Trial, astats: Any, ratio: float | None) -> tuple[list, list]:
    """(problems found, advice for each)."""
    problems, advice = [], []
    for key, label, fix in UNIT_PROBLEMS:
        layers = _layers_at_least(astats, key, 0.5)
        if layers:
            found = ", ".join(f"{n} {v:.0%}" for n, v in layers.items())
            problems.append(f"{label}: {found}")
            advice.append(fix)
    if ratio is not None and ratio < 1e-3:
        problems.append(
            f"vanishing gradients: the first layer's gradient is "
            f"{ratio:.1e} × the last layer's"
        )
        advice.append(
            "vanishing gradients: ReLU-family activations and Xavier/Kaiming init"
        )
    elif ratio is not None and ratio > 1e3:
        problems.append(
            f"exploding gradients: first/last layer gradient ratio {ratio:.1e}"
        )
        advice.append("exploding gradients: smaller initial weights")
    L0, baseline = trial.initial_loss, trial.baseline
    if baseline > 0 and L0 > 10 * baseline:
        problems.append(
            f"the initial loss {L0:.4g} is {L0 / baseline:.0f}× the baseline's"
        )
        advice.append(
            "initial outputs too large: scale down the last layer's initial weights"
        )
    return problems, advice


def answer(trial: Trial) -> Section:
    """Statistics of the untrained model on (up to 512 of) the training samples."""
    trial.initial.restore(grads=False)
    sample = slice(0, min(len(trial.X), 512))
    astats = activation_stats(trial.model, Tensor._from_array(trial.X[sample]))
    gstats = _gradient_stats_at_init(trial, sample)
    ratio = _gradient_ratio(gstats)
    problems, advice = _problems(trial, astats, ratio)
    details = str(astats)
    if ratio is not None:
        details += f"\nfirst/last layer weight-gradient norm ratio at init: {ratio:.3g}"
    details += "\n" + (
        "; ".join(problems) or "no dead, saturated or vanishing units at init"
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
        "initial_loss": trial.initial_loss,
        "baseline": trial.baseline,
        "problems": problems,
    }
    verdict = "problem" if problems else "ok"
    return Section(
        "initialisation", QUESTION, verdict, bool(problems), rec, evidence, details
    )
